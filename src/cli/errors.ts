// Errors in what the user typed (options, their values, files named on the command line). main.ts prints these,
// like the other layers' typed errors, as one line; anything untyped that escapes a command is a bug of rvkvm.
export class UsageError extends Error {
  override name = 'UsageError';
}
