// Reading a learner's source file the way the "no library" checks need it (lessons 02, 07,
// 09, 11, 13): without comments, so that a commented-out import does not count.

import { readFileSync } from "node:fs";

/** The file's code with its comments removed. */
export function codeWithoutComments(path: string): string {
  return readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
}

/** The module names `code` imports: `import … from "x"`, `import("x")`, `require("x")`. */
export function importsIn(code: string): string[] {
  return [...code.matchAll(/\b(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g)].map((match) => match[1]!);
}
