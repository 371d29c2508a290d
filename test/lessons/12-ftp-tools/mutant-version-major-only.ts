// Wrong answer: compares only the first number of a version (1.10.0 and 1.9.2 tie)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function newestRelease(names: string[]): string | undefined {
  let newest: { name: string; major: number } | undefined;
  for (const name of names) {
    const match = /(\d+)(?:\.\d+)+/.exec(name);
    if (!match) continue;
    const major = Number(match[1]);
    if (!newest || major > newest.major) newest = { name, major };
  }
  return newest?.name;
}
