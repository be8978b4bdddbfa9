// rvkvm's version, as package.json says it (a test keeps the two equal). Snapshots record it: a saved VM is only
// resumed by the version that saved it, since any change to a device or the hart may change what its state means.
export const RVKVM_VERSION = '0.1.0';
