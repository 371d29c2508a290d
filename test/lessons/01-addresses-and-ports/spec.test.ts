// Spec for lessons/01-addresses-and-ports: pure functions, no sockets yet.
import { expect } from "vitest";
import { checkLesson, expectThrows } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/01-addresses-and-ports/exercise.ts";

type Lesson01 = typeof import("../../../lessons/01-addresses-and-ports/solution.ts");

checkLesson<Lesson01>("01-addresses-and-ports", {
  exercise,
  checks: [
    {
      name: "parseHostPort reads host:port",
      run({ parseHostPort }) {
        expect(parseHostPort("example.com:80"), `parseHostPort("example.com:80")`).toEqual({ host: "example.com", port: 80 });
        expect(parseHostPort("127.0.0.1:8888"), `parseHostPort("127.0.0.1:8888")`).toEqual({ host: "127.0.0.1", port: 8888 });
        expect(parseHostPort("localhost:0"), `parseHostPort("localhost:0")`).toEqual({ host: "localhost", port: 0 });
      },
    },
    {
      name: "parseHostPort reads bracketed IPv6 addresses",
      run({ parseHostPort }) {
        expect(parseHostPort("[::1]:80"), `parseHostPort("[::1]:80")`).toEqual({ host: "::1", port: 80 });
        expect(parseHostPort("[2001:db8::42]:65535"), `parseHostPort("[2001:db8::42]:65535")`).toEqual({ host: "2001:db8::42", port: 65535 });
      },
    },
    {
      name: "parseHostPort rejects what is not host:port",
      run({ parseHostPort }) {
        for (const bad of ["example.com", "example.com:", ":80", "example.com:http", "example.com:65536", "::1:80", "[::1]80", "[::1"]) {
          expectThrows(() => parseHostPort(bad), `parseHostPort("${bad}")`);
        }
      },
    },
    {
      name: "parsePort accepts 0-65535 in decimal digits only",
      run({ parsePort }) {
        expect(parsePort("8080")).toBe(8080);
        expect(parsePort("0")).toBe(0);
        expect(parsePort("65535")).toBe(65535);
        for (const bad of ["", "-1", "65536", "80.5", "0x50", " 80", "eighty"]) {
          expectThrows(() => parsePort(bad), `parsePort("${bad}")`);
        }
      },
    },
    {
      name: "classifyPort knows the three IANA ranges, edges included",
      run({ classifyPort }) {
        const cases: [number, string][] = [
          [0, "well-known"], [22, "well-known"], [80, "well-known"], [1023, "well-known"],
          [1024, "registered"], [8080, "registered"], [49151, "registered"],
          [49152, "dynamic"], [65535, "dynamic"],
        ];
        for (const [port, range] of cases) expect(classifyPort(port), `classifyPort(${port})`).toBe(range);
        for (const bad of [-1, 65536, 80.5, NaN]) {
          expectThrows(() => classifyPort(bad), `classifyPort(${bad})`, RangeError);
        }
      },
    },
    {
      name: "ipv4ToInt turns a dotted address into its 32-bit number",
      run({ ipv4ToInt }) {
        expect(ipv4ToInt("0.0.0.0"), 'ipv4ToInt("0.0.0.0")').toBe(0);
        expect(ipv4ToInt("127.0.0.1"), 'ipv4ToInt("127.0.0.1")').toBe(2130706433);
        expect(ipv4ToInt("192.168.0.1"), 'ipv4ToInt("192.168.0.1")').toBe(3232235521);
        expect(ipv4ToInt("255.255.255.255"), 'ipv4ToInt("255.255.255.255")').toBe(4294967295);
        for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", ""]) {
          expectThrows(() => ipv4ToInt(bad), `ipv4ToInt("${bad}")`);
        }
        // Each part is 1 to 3 decimal digits, nothing else: Number() would take "", " 1", "+1" and "1e2".
        for (const bad of ["1..2.3", "1.2.3.", " 1.2.3.4", "1.2.3.+4", "1e2.0.0.1", "0x7f.0.0.1"]) {
          expectThrows(() => ipv4ToInt(bad), `ipv4ToInt(${JSON.stringify(bad)}) (each part is 1–3 decimal digits: test them, not Number())`);
        }
      },
    },
    {
      name: "intToIpv4 turns the number back, and round-trips",
      run({ intToIpv4, ipv4ToInt }) {
        expect(intToIpv4(0), `intToIpv4(0)`).toBe("0.0.0.0");
        expect(intToIpv4(2130706433), `intToIpv4(2130706433)`).toBe("127.0.0.1");
        expect(intToIpv4(3232235521), `intToIpv4(3232235521)`).toBe("192.168.0.1");
        expect(intToIpv4(4294967295), `intToIpv4(4294967295)`).toBe("255.255.255.255");
        for (const address of ["10.0.0.1", "172.16.254.3", "200.100.50.25"]) {
          expect(intToIpv4(ipv4ToInt(address)), `intToIpv4(ipv4ToInt("${address}"))`).toBe(address);
        }
        for (const bad of [-1, 4294967296, 1.5]) {
          expectThrows(() => intToIpv4(bad), `intToIpv4(${bad})`, RangeError);
        }
      },
    },
  ],
});
