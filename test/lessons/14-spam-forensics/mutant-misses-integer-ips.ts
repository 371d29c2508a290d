// Wrong answer: misses 32-bit integer, hex and octal IP addresses
// Only "a.b.c.d" in decimal counts as an IP address. But a browser also goes to
// http://3221225999/ (one 32-bit number: 192.0.2.15) and to hex and octal forms — and no honest
// mail writes an address that way.
export * from "../../../lessons/14-spam-forensics/solution.ts";
import { findLinks as realLinks, type HostKind, type Link } from "../../../lessons/14-spam-forensics/solution.ts";

export function classifyHost(host: string): { kind: HostKind; address: string | null } {
  return /^(\d{1,3}\.){3}\d{1,3}$/.test(host) ? { kind: "ip", address: host } : { kind: "domain", address: null };
}

export function findLinks(html: string | null, text: string | null): Link[] {
  return realLinks(html, text).map((link) => (link.kind === "ip" ? link : { ...link, ...classifyHost(link.host) }));
}
