// Wrong answer: ipv4ToInt uses << and goes negative above 127.x.x.x
// Builds the number with <<, which is signed 32-bit in JavaScript,
// so 192.168.0.1 comes out as -1062731775.
export * from "../../../lessons/01-addresses-and-ports/solution.ts";

export function ipv4ToInt(address: string) {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error("bad address");
  return (parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!;
}
