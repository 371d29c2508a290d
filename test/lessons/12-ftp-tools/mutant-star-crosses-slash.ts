// Wrong answer: lets * match across / (*.py matches src/main.py)
// Translates "*" to the regular expression ".*", which matches "/" too:
// "*.py" then matches "src/main.py", a file in another folder.
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function matches(glob: string, name: string): boolean {
  let pattern = "";
  for (const char of glob) {
    if (char === "*") pattern += ".*";
    else if (char === "?") pattern += ".";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&"); // a literal character
  }
  return new RegExp(`^${pattern}$`).test(name); // the whole name, not a part of it
}
