// Wrong answer: anchors the pattern at the start only ('*.py' matches 'hello.pyc')
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function matches(glob: string, name: string): boolean {
  let pattern = "";
  for (const char of glob) {
    if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}`).test(name);
}
