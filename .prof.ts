import { SessionReporter } from "./servers/session-report.ts";
import { SessionStore } from "./servers/console/sessions.ts";
import { Transcript } from "./servers/transcript.ts";
let text = "";
for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? ".." : ""}line ${line} of message: ${"x".repeat(48)}\r\n`;
const body = Buffer.from(text + ".\r\n");
const N = 4000;
function bench(name: string, make: () => { data(side: "C" | "S", b: Buffer): void }) {
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const r = make();
    const t = performance.now();
    for (let i = 0; i < N; i++) { r.data("S", Buffer.from("354 go\r\n")); r.data("C", body); r.data("S", Buffer.from("250 ok\r\n")); }
    times.push((performance.now() - t) * 1000 / N);
  }
  times.sort((a, b) => a - b);
  console.log(name, "µs/msg median", times[2].toFixed(1));
}
bench("transcript only, keep 200", () => new Transcript({ maxLinesInARow: 12, keepFolded: 200, onLine: () => {} }));
bench("transcript only, keep 0", () => new Transcript({ maxLinesInARow: 12, keepFolded: 0, onLine: () => {} }));
bench("reporter+store", () => new SessionReporter(new SessionStore(), { protocol: "smtp", port: 1, client: "x", tls: false, label: "x" }));
bench("reporter+store+json", () => { const s = new SessionStore(); s.subscribe((e) => JSON.stringify(e)); return new SessionReporter(s, { protocol: "smtp", port: 1, client: "x", tls: false, label: "x" }); });
