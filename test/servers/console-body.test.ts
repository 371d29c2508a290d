// A mail's body in the console, end to end: Python's smtplib sends it over a real socket to the
// playground's SMTP server, whose transcript hands the body (from the 354 to the ".") to the
// console as raw text; the console's API must still show it line by line — the first lines
// plain, the rest inside a fold with its summary — as the page and the .txt download need it.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { KeptLine, SessionSummary } from "../../servers/console/sessions.ts";
import { hasPython, runProgram } from "../kit/processes.ts";
import { closedSession, getJson, startTestConsole, streamedLines, type TestConsole } from "./console-live-kit.ts";

type Full = SessionSummary & { lines: KeptLine[] };

// 60 body lines after 3 header lines and the blank one; one reads like a command.
const SEND = String.raw`
import os, smtplib
body = ["Subject: a long mail", "From: me@example.com", "To: me@example.com", ""]
body += ["body line %02d" % i for i in range(60)]
body[20] = "AUTH PLAIN dGVzdA=="
s = smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]))
s.login("me@example.com", "secret")
s.sendmail("me@example.com", ["me@example.com"], "\r\n".join(body) + "\r\n")
s.quit()
`;

describe.skipIf(!hasPython)("a mail's body in the console (smtplib, real socket)", () => {
  let running: TestConsole;
  let stream = "";
  /** The same time, a stream that asked for no session's lines (?lines=none): only their bytes. */
  let counts = "";
  let stopStream: () => Promise<void>;
  beforeAll(async () => {
    running = await startTestConsole();
    // A page with the live stream open while the mail goes through.
    const controller = new AbortController();
    const read = async (path: string, into: (text: string) => void) => {
      const response = await fetch(`${running.base}${path}`, { signal: controller.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      return [(async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done || value === undefined) return;
          into(value);
        }
      })()]; // (in a list: an async function's returned promise would be awaited)
    };
    const readings = [...(await read("/console/api/events", (text) => (stream += text))), ...(await read("/console/api/events?lines=none", (text) => (counts += text)))];
    stopStream = async () => {
      controller.abort();
      await Promise.all(readings);
    };
    const result = await runProgram("python3", ["-c", SEND], { env: { SMTP_PORT: String(running.mail.ports.submission) }, timeoutMs: 30_000 });
    if (result.code !== 0) throw new Error(`python failed:\n${result.stdout}${result.stderr}`);
  }, 60_000);
  afterAll(async () => {
    await stopStream?.();
    await running?.stop();
  });

  test("GET /console/api/sessions/<id>: the body's lines, its first ones plain, the rest in a fold with its size", async () => {
    const smtp = await closedSession(running.base, "smtp");
    const { body } = await getJson<{ session: Full }>(running.base, `/console/api/sessions/${smtp.id}`);
    const lines = body.session.lines;
    const shown = lines.map((line) => `${line.side}: ${line.text}`);
    // The command is masked; the mail's line that looks like it is data, shown as sent.
    expect(shown).toContain("C: AUTH PLAIN ******** (masked)\\r\\n");
    expect(shown).toContain("C: AUTH PLAIN dGVzdA==\\r\\n");
    // The body run: 12 lines plain (the 3 headers, the blank line, body lines 00-07), the rest inside, then the summary.
    const first = shown.indexOf("C: Subject: a long mail\\r\\n");
    expect(shown[first - 1]).toMatch(/^S: 354 /);
    const run = lines.slice(first, first + 66);
    expect(run.slice(0, 12).every((line) => line.fold === undefined)).toBe(true);
    expect(run[11]!.text).toBe("body line 07\\r\\n");
    expect(run.slice(12, 65).every((line) => line.fold === "inside")).toBe(true);
    expect(run[12]!.text).toBe("body line 08\\r\\n");
    expect(run[63]!.text).toBe("body line 59\\r\\n");
    expect(run[64]!.text).toBe(".\\r\\n"); // the end of DATA is the body's last line
    // 52 body lines and the "." in the fold: 51 × 14 bytes, the AUTH line's 21 and 3.
    expect(run[65]).toMatchObject({ fold: "summary", text: "… 53 more lines (738 bytes) not shown", bytes: 738 });
    expect(lines[first + 66]!.text).toMatch(/^250 /);
    // Each line's bytes as on the wire, numbered in order; the session's bytes add up.
    expect(run.slice(0, 65).map((line) => line.bytes)).toEqual(run.slice(0, 65).map((line) => line.text.length - 2));
    expect(lines.map((line) => line.n)).toEqual(lines.map((_, i) => i + 1));
    const fromClient = lines.filter((line) => line.side === "C" && line.fold !== "summary").reduce((sum, line) => sum + line.bytes, 0);
    expect(fromClient).toBe(smtp.bytesIn);
  });

  test("a line inside the fold is found by q=, and is in the .txt, marked as inside", async () => {
    const smtp = await closedSession(running.base, "smtp");
    const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, `/console/api/sessions?q=${encodeURIComponent("body line 42")}`);
    expect(body.sessions.map((session) => session.id)).toEqual([smtp.id]);
    const text = await (await fetch(`${running.base}/console/api/sessions/${smtp.id}.txt`)).text();
    expect(text).toMatch(/\n\d\d:\d\d:\d\d\.\d\d\d {3}C: body line 42\\r\\n\n/);
    expect(text).toMatch(/\n\d\d:\d\d:\d\d\.\d\d\d C: body line 07\\r\\n\n/);
  });

  test("the live stream: the body's plain lines and the fold's summary, not the lines inside it", async () => {
    const smtp = await closedSession(running.base, "smtp");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = streamedLines(stream).filter((line) => line.id === smtp.id);
    const texts = lines.map((line) => line.text);
    expect(texts).toContain("body line 07\\r\\n");
    expect(texts).not.toContain("body line 08\\r\\n");
    expect(texts).toContain("… 53 more lines (738 bytes) not shown");
    // The same numbers as the session's own lines.
    const { body } = await getJson<{ session: Full }>(running.base, `/console/api/sessions/${smtp.id}`);
    for (const line of lines) expect(body.session.lines[line.n - 1]).toMatchObject({ text: line.text, side: line.side, bytes: line.bytes, at: line.at });
    // The lines inside the fold were not sent, but each event says how many came, and their bytes: the summary's.
    const events = [...stream.matchAll(/event: lines\ndata: (.*)\n\n/g)].map((match) => JSON.parse(match[1]!)).filter((event) => event.id === smtp.id);
    const folded = events.filter((event) => event.folded).map((event) => event.folded as { side: string; lines: number; bytes: number });
    expect(folded.every((fold) => fold.side === "C")).toBe(true);
    expect(folded.reduce((sum, fold) => sum + fold.lines, 0)).toBe(53);
    expect(folded.reduce((sum, fold) => sum + fold.bytes, 0)).toBe(738);
    // Fewer events than lines: the body's plain lines came together.
    expect(events.length).toBeLessThan(lines.length);
    // What was streamed adds up to the bytes on the wire, each once: the lines shown and the fold's summary (it stands for the lines inside).
    const sum = (side: string) => lines.filter((line) => line.side === side).reduce((total, line) => total + line.bytes, 0);
    expect([sum("C"), sum("S")]).toEqual([smtp.bytesIn, smtp.bytesOut]);
  });

  test("?lines=none: no lines, and the session's bytes counted in \"bytes\" events, adding up to its totals", async () => {
    const smtp = await closedSession(running.base, "smtp");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(counts).not.toContain("event: lines");
    const sent = [...counts.matchAll(/event: bytes\ndata: (.*)\n\n/g)].map((match) => (JSON.parse(match[1]!) as Record<string, [number, number]>)[smtp.id] ?? [0, 0]);
    expect(sent.length).toBeGreaterThan(1); // counted as they came, not at the end
    expect(sent.reduce(([c, s], [dc, ds]) => [c + dc, s + ds], [0, 0])).toEqual([smtp.bytesIn, smtp.bytesOut]);
    expect(counts).toContain("event: session-closed");
  });
});
