// Lesson 01 — reference solution. Same exports as exercise.ts.

export interface HostPort {
  host: string;
  port: number;
}

export type PortClass = "well-known" | "registered" | "dynamic";

/**
 * "example.com:80" → { host: "example.com", port: 80 }
 * "[::1]:8888"     → { host: "::1", port: 8888 }   (IPv6 addresses contain ":", so URLs wrap them in [ ])
 */
export function parseHostPort(text: string): HostPort {
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1 || text[close + 1] !== ":") throw new Error(`"${text}": expected [ipv6]:port`);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) throw new Error(`"${text}": no port — expected host:port`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) throw new Error(`"${text}": an IPv6 address needs brackets, like [::1]:80`);
  }
  if (host === "") throw new Error(`"${text}": the host is empty`);
  return { host, port: parsePort(portText) };
}

/** A port is a 16-bit number: 0..65535, written in decimal digits only. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new Error(`"${text}" is not a port number`);
  const port = Number(text);
  if (port > 65535) throw new Error(`${port} is too big for a port (the largest is 65535)`);
  return port;
}

/** IANA's three ranges (RFC 6335 §6). */
export function classifyPort(port: number): PortClass {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${port} is not a port (0-65535)`);
  if (port <= 1023) return "well-known";
  if (port <= 49151) return "registered";
  return "dynamic";
}

/** "192.168.0.1" → 3232235521: the four bytes of the address read as one 32-bit number. */
export function ipv4ToInt(address: string): number {
  const parts = address.split(".");
  if (parts.length !== 4) throw new Error(`"${address}" is not a dotted IPv4 address`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new Error(`"${address}": "${part}" is not a byte (0-255)`);
    // Multiply instead of <<: JavaScript's << works on signed 32-bit numbers and would go negative.
    value = value * 256 + Number(part);
  }
  return value;
}

/** 3232235521 → "192.168.0.1" */
export function intToIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${value} is not a 32-bit address`);
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}
