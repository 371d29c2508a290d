// Wrong answer: compares versions only as far as the shorter one goes (2.0 and 2.0.1 tie, the first wins)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function newestRelease(names: string[]): string | undefined {
  let newest: { name: string; version: number[] } | undefined;
  const newer = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
    return false;
  };
  for (const name of names) {
    const match = /\d+(?:\.\d+)+/.exec(name);
    if (!match) continue;
    const version = match[0].split(".").map(Number);
    if (!newest || newer(version, newest.version)) newest = { name, version };
  }
  return newest?.name;
}
