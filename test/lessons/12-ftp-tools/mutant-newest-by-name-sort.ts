// Wrong answer: sorts versions by name (1.9.2 after 1.10.0)
// Takes the last name in alphabetical order as the newest. Names compare
// character by character: "tool-1.1…" sorts before "tool-1.9…", so 1.10.0 looks older than 1.9.2.
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function newestRelease(names: string[]): string | undefined {
  const versioned = names.filter((name) => /\d+(?:\.\d+)+/.test(name)); // names with a version
  return versioned.sort().at(-1); // the "highest" name
}
