export * from "../../../lessons/98-fixture/solution.ts";

export function double(n: number): number {
  return 2 * n + 1;
}
