// Lesson 01 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 01
// Stuck? npm run hint 01

import { todo } from "../not-implemented.ts";

export interface HostPort {
  host: string;
  port: number;
}

export type PortClass = "well-known" | "registered" | "dynamic";

/**
 * "example.com:80" → { host: "example.com", port: 80 }
 * "[::1]:8888"     → { host: "::1", port: 8888 }   (IPv6 addresses contain ":", so URLs wrap them in [ ])
 * Throw an Error for anything else: no port, an empty host, a port that is not 0-65535,
 * or an IPv6 address without brackets ("::1:80" — where would the port start?).
 */
export function parseHostPort(text: string): HostPort {
  todo("parseHostPort");
}

/** "8080" → 8080. Decimal digits only, 0-65535; throw an Error otherwise. */
export function parsePort(text: string): number {
  todo("parsePort");
}

/**
 * Which of IANA's three ranges a port belongs to (RFC 6335 §6):
 * 0-1023 "well-known", 1024-49151 "registered", 49152-65535 "dynamic".
 * Throw a RangeError for anything that is not a port.
 */
export function classifyPort(port: number): PortClass {
  todo("classifyPort");
}

/** "192.168.0.1" → 3232235521: the four bytes of the address read as one 32-bit number. */
export function ipv4ToInt(address: string): number {
  todo("ipv4ToInt");
}

/** 3232235521 → "192.168.0.1". Throw a RangeError outside 0..4294967295. */
export function intToIpv4(value: number): string {
  todo("intToIpv4");
}
