// Wrong answer: parseHostPort splits at the first colon (breaks [::1]:80)
// Split at the first ":" — fine for "host:80", wrong for "[::1]:80".
export * from "../../../lessons/01-addresses-and-ports/solution.ts";
import { parsePort } from "../../../lessons/01-addresses-and-ports/solution.ts";

export function parseHostPort(text: string) {
  const [host, port] = text.split(":");
  if (!host) throw new Error("no host");
  return { host, port: parsePort(port ?? "") };
}
