import { SessionReporter } from "./servers/session-report.ts";
import { SessionStore } from "./servers/console/sessions.ts";
import { Transcript } from "./servers/transcript.ts";
let text = "";
for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? ".." : ""}line ${line} of message: ${"x".repeat(48)}\r\n`;
const body = Buffer.from(text + ".\r\n");
const mask = (line: string, side: string) => { if (side === "S") return line; const f = line.charCodeAt(0) | 0x20; if (f !== 0x61 && f !== 0x71) return line; return line.replace(/^(AUTH\s+\S+\s+)\S+?((\\r)?(\\n)?)$/i, "$1******** (masked)$2"); };
function bench(name: string, make: () => { data(side: "C" | "S", b: Buffer): void }) {
  const times: number[] = [];
  for (let k = 0; k < 7; k++) {
    const r = make();
    const t = performance.now();
    for (let i = 0; i < 4000; i++) { r.data("S", Buffer.from("354 go\r\n")); r.data("C", body); r.data("S", Buffer.from("250 ok\r\n")); }
    times.push((performance.now() - t) * 1000 / 4000);
  }
  times.sort((a, b) => a - b);
  console.log(name, "µs/msg median", times[3].toFixed(1));
}
bench("transcript only, keep 200", () => new Transcript({ maxLinesInARow: 12, keepFolded: 200, mask, onLine: () => {} }));
bench("transcript only, keep 0", () => new Transcript({ maxLinesInARow: 12, keepFolded: 0, mask, onLine: () => {} }));
bench("reporter+store", () => new SessionReporter(new SessionStore(), { protocol: "smtp", port: 1, client: "x", tls: false, label: "x", mask }));
bench("reporter+store+json", () => { const s = new SessionStore(); s.subscribe((e) => e.type === "line" && e.line.fold === "inside" ? 0 : JSON.stringify(e)); return new SessionReporter(s, { protocol: "smtp", port: 1, client: "x", tls: false, label: "x", mask }); });
