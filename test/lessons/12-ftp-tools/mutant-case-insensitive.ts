// Wrong answer: matches case-insensitively ('*.TXT' takes 'notes.txt'; FTP names are case-sensitive)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function matches(glob: string, name: string): boolean {
  let pattern = "";
  for (const char of glob) {
    if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`, "i").test(name);
}
