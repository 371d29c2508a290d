import v8 from "node:v8";
import { SessionReporter } from "../../servers/session-report.ts";
import { activityMessenger, reportActivity, type ActivityMessage } from "../../servers/activity-bridge.ts";
import { SessionStore } from "../../servers/console/sessions.ts";
import type { Activity } from "../../servers/activity.ts";

function message(n: number, to: string): Buffer {
  let text = `From: me@example.com\r\nTo: ${to}\r\nSubject: bench message ${n}\r\nMessage-ID: <${n}.${Math.random()}@bench>\r\n\r\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? ".." : ""}line ${line} of message ${n}: ${"x".repeat(48)}\r\n`;
  return Buffer.from(text + ".\r\n");
}
const body = message(1, "me@example.com");
const env = Buffer.from("MAIL FROM:<me@example.com>\r\nRCPT TO:<me@example.com>\r\nDATA\r\n");
const N = 20000;
const mask = (line: string) => { const f = line.charCodeAt(0) | 0x20; if (f !== 0x61 && f !== 0x71) return line; return line; };
function drive(activity: Activity) {
  const r = new SessionReporter(activity, { protocol: "smtp", port: 2525, client: "127.0.0.1:5000", tls: false, label: "x", mask });
  for (let i = 0; i < N; i++) {
    r.data("C", env);
    r.data("S", Buffer.from("250 Accepted\r\n")); r.data("S", Buffer.from("250 Accepted\r\n")); r.data("S", Buffer.from("354 End data with <CR><LF>.<CR><LF>\r\n"));
    r.data("C", body);
    r.data("S", Buffer.from("250 OK: message queued\r\n"));
  }
  r.closed("QUIT");
}
const noop: Activity = { sessionOpened() {}, sessionLine() {}, sessionChanged() {}, sessionClosed() {}, stored() {} };
let lines = 0;
const counting: Activity = { ...noop, sessionLine() { lines++; } };
function time(name: string, f: () => void) {
  f();
  const t = process.hrtime.bigint();
  f();
  const us = Number(process.hrtime.bigint() - t) / 1000 / N;
  console.log(name.padEnd(40), us.toFixed(2), "µs/message");
}
time("reporter → noop", () => drive(noop));
lines = 0; drive(counting); console.log("lines per message", lines / N);
time("reporter → messenger (no send)", () => { const m = activityMessenger(() => {}); drive(m.activity); m.flush(); });
const msgs: ActivityMessage[] = [];
time("reporter → messenger → serialize", () => { const m = activityMessenger((x) => void v8.serialize(x)); drive(m.activity); m.flush(); });
const all: Buffer[] = [];
{ const m = activityMessenger((x) => void all.push(v8.serialize(x))); drive(m.activity); m.flush(); }
time("deserialize", () => { for (const b of all) v8.deserialize(b); });
const decoded = all.map((b) => v8.deserialize(b) as ActivityMessage);
time("reportActivity → noop", () => { for (const m of decoded) for (const c of m.calls) reportActivity(noop, c); });
time("reportActivity → store", () => { const s = new SessionStore(); for (const m of decoded) for (const c of m.calls) reportActivity(s, c); });
time("store direct from reporter", () => { const s = new SessionStore(); drive(s); });
