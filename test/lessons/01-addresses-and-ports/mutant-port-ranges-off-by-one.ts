// Wrong answer: classifyPort puts 1024 among the well-known ports
// "< 1024" written as "<= 1024" — the classic off-by-one at a range edge.
export * from "../../../lessons/01-addresses-and-ports/solution.ts";

export function classifyPort(port: number) {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${port} is not a port`);
  if (port <= 1024) return "well-known";
  if (port <= 49151) return "registered";
  return "dynamic";
}
