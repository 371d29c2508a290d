// Wrong answer: reads a version as a decimal number (parseFloat: 1.10 < 1.9)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function newestRelease(names: string[]): string | undefined {
  let newest: { name: string; version: number } | undefined;
  for (const name of names) {
    const match = /\d+(?:\.\d+)+/.exec(name);
    if (!match) continue;
    const version = parseFloat(match[0]); // "1.10.0" → 1.1
    if (!newest || version > newest.version) newest = { name, version };
  }
  return newest?.name;
}
