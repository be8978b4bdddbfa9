// The VMM layer's error type: bad files, bad device accesses, bad machine descriptions.
export class VmmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmmError';
  }
}
