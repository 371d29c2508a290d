// The .diff wrong answers: a unified diff as `diff -u` prints it, applied by its text.
import { describe, expect, test } from "vitest";
import { applyDiff } from "./patch.ts";

const solution = [
  "export function double(n: number): number {",
  "  return 2 * n;",
  "}",
  "",
  "export function half(n: number): number {",
  "  return n / 2;",
  "}",
  "",
].join("\n");

const diff = `# Wrong answer: double adds one too many
# (a comment line)
--- lessons/98-fixture/solution.ts
+++ lessons/98-fixture/solution.ts
@@ -1,3 +1,3 @@
 export function double(n: number): number {
-  return 2 * n;
+  return 2 * n + 1;
 }
`;

describe("applyDiff", () => {
  test("replaces a hunk's '-' lines with its '+' lines, keeping the context", () => {
    expect(applyDiff(solution, diff)).toBe(solution.replace("return 2 * n;", "return 2 * n + 1;"));
  });

  test("applies several hunks, wherever their line numbers say they are", () => {
    const two = `${diff}@@ -99,3 +99,3 @@
 export function half(n: number): number {
-  return n / 2;
+  return n / 3;
 }
`;
    expect(applyDiff(solution, two)).toBe(solution.replace("2 * n;", "2 * n + 1;").replace("n / 2", "n / 3"));
  });

  test("a hunk that no longer matches the solution is an error naming it", () => {
    expect(() => applyDiff(solution.replace("2 * n", "n * 2"), diff)).toThrow(/hunk "@@ -1,3 \+1,3 @@" does not match/);
  });

  test("a hunk matches whole lines only", () => {
    const partial = "@@ -1 +1 @@\n-return 2 * n;\n+return 0;\n"; // the line is "  return 2 * n;"
    expect(() => applyDiff(solution, partial)).toThrow(/does not match/);
  });

  test("a hunk that matches in two places asks for more context", () => {
    const ambiguous = "@@ -3 +3 @@\n-}\n+};\n";
    expect(() => applyDiff(solution, ambiguous)).toThrow(/several places/);
  });

  test("a diff without hunks is refused", () => {
    expect(() => applyDiff(solution, "# Wrong answer: nothing\n")).toThrow(/no hunks/);
  });
});
