// The exercises start as stubs that call todo(). The checker (npm test) sees this
// particular error and reports the exercise as "not started" instead of "failed".
// Delete the todo(...) line once you start writing your own code.

export class NotImplementedError extends Error {
  override name = "NotImplementedError";
}

export function todo(what: string): never {
  throw new NotImplementedError(`not implemented yet: ${what}`);
}
