// Wrong answer: escapes only '.', so '+', '(' or '[' in a pattern are regex syntax
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function matches(glob: string, name: string): boolean {
  const pattern = glob.replace(/\./g, "\\.").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  try {
    return new RegExp(`^${pattern}$`).test(name);
  } catch {
    return false;
  }
}
