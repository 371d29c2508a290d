import { SessionReporter } from "/work/wt/conperf/servers/session-report.ts";
import type { Activity } from "/work/wt/conperf/servers/activity.ts";
function message(n: number, to: string): Buffer {
  let text = `From: me@example.com\r\nTo: ${to}\r\nSubject: bench message ${n}\r\nMessage-ID: <${n}.${Math.random()}@bench>\r\n\r\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? ".." : ""}line ${line} of message ${n}: ${"x".repeat(48)}\r\n`;
  return Buffer.from(text + ".\r\n");
}
const body = message(1, "me@example.com");
const env = Buffer.from("MAIL FROM:<me@example.com>\r\nRCPT TO:<me@example.com>\r\nDATA\r\n");
const s1 = Buffer.from("250 Accepted\r\n"), s3 = Buffer.from("354 End data with <CR><LF>.<CR><LF>\r\n"), s4 = Buffer.from("250 OK: message queued\r\n");
const noop: Activity = { sessionOpened() {}, sessionLine() {}, sessionChanged() {}, sessionClosed() {}, stored() {} };
const mask = (line: string) => { const f = line.charCodeAt(0) | 0x20; if (f !== 0x61 && f !== 0x71) return line; return line; };
const N = 200000;
const r = new SessionReporter(noop, { protocol: "smtp", port: 2525, client: "127.0.0.1:5000", tls: false, label: "x", mask });
const t = process.hrtime.bigint();
for (let i = 0; i < N; i++) { r.data("C", env); r.data("S", s1); r.data("S", s1); r.data("S", s3); r.data("C", body); r.data("S", s4); }
console.log(Number(process.hrtime.bigint() - t) / 1000 / N, "µs/message");
