// Wrong answer: lets '?' match zero or one character (it is exactly one)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function matches(glob: string, name: string): boolean {
  let pattern = "";
  for (const char of glob) {
    if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]?";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`).test(name);
}
