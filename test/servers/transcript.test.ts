import { describe, expect, test } from "vitest";
import { Transcript, escapeBytes } from "../../servers/transcript.ts";

describe("transcript", () => {
  test("cuts a byte stream into C:/S: lines with \\r\\n made visible, whatever the chunking", () => {
    const transcript = new Transcript();
    for (const piece of ["GE", "T / HTTP/1.1\r", "\nHost: x\r\n\r\n"]) transcript.data("C", Buffer.from(piece));
    transcript.data("S", Buffer.from("HTTP/1.1 200 OK\r\n"));
    expect(transcript.toString()).toBe(
      ["C: GET / HTTP/1.1\\r\\n", "C: Host: x\\r\\n", "C: \\r\\n", "S: HTTP/1.1 200 OK\\r\\n"].join("\n"),
    );
  });

  test("shows a line without a newline as soon as the other side speaks", () => {
    const transcript = new Transcript();
    transcript.data("S", Buffer.from("Welcome!"));
    transcript.data("C", Buffer.from("Bob\n"));
    transcript.note("C", "FIN: no more data from this side");
    expect(transcript.lines).toEqual(["S: Welcome!", "C: Bob\\n", "C: [FIN: no more data from this side]"]);
  });

  test("keeps UTF-8 text readable and shows other bytes as \\xNN", () => {
    expect(escapeBytes(Buffer.from("你好, 张三\t!\n"))).toBe("你好, 张三\\t!\\n");
    expect(escapeBytes(Buffer.from([0x00, 0x41, 0xff, 0x0d]))).toBe("\\x00A\\xff\\r");
  });

  test("abbreviates long lines and long runs, and masks secrets", () => {
    const transcript = new Transcript({
      maxLineLength: 10,
      maxLinesInARow: 3,
      mask: (line) => line.replace(/PASS \S+/, "PASS ****"),
    });
    transcript.data("C", Buffer.from("PASS hunter2\r\n"));
    transcript.data("S", Buffer.from("x".repeat(25) + "\n"));
    for (let i = 0; i < 5; i++) transcript.data("S", Buffer.from(`line ${i}\n`));
    transcript.datagram("C", Buffer.from("ping"), "dropped by the network");
    expect(transcript.lines).toEqual([
      "C: PASS ****",
      "S: xxxxxxxxxx… (+17 more characters)",
      "S: line 0\\n",
      "S: line 1\\n",
      "S: … 3 more lines (21 bytes) not shown",
      "C: ping   (dropped by the network)",
    ]);
  });

  test("a line is shown the same whether it arrives whole in one chunk or byte by byte", () => {
    // A whole line is decoded straight from its chunk; one split across chunks is put together
    // first: both must show exactly what escapeBytes shows (what --trace has always printed).
    const wire = Buffer.concat([
      Buffer.from("EHLO client\r\n\r\n\nplain LF\nbare CR\r inside\r\n\ttab\x7f del\r\r\n"),
      Buffer.from("你好 UTF-8\r\n"),
      Buffer.from([0x41, 0xff, 0x00, 0x0d, 0x0a]), // latin1 and NUL: not UTF-8
      Buffer.from("~ last printable, and \u00e9 one more\r\n"),
    ]);
    const whole = new Transcript({ maxLinesInARow: 100 });
    whole.data("C", wire);
    const byteByByte = new Transcript({ maxLinesInARow: 100 });
    for (const byte of wire) byteByByte.data("C", Buffer.from([byte]));
    expect(whole.lines).toHaveLength(9);
    expect(whole.lines).toEqual(byteByByte.lines);
    expect(whole.lines.slice(0, 4)).toEqual(["C: EHLO client\\r\\n", "C: \\r\\n", "C: \\n", "C: plain LF\\n"]);
    expect(whole.lines).toContain("C: A\\xff\\x00\\r\\n");
  });

  test("a mask that learns from lines still sees the last line of a long run, deep in its fold", () => {
    // Like SMTP's mask: after a "334" challenge the client's next line is a secret. Here the 334
    // ends a run of 300 server lines, far past what a fold keeps.
    let secretFollows = false;
    const mask = (line: string, side: "C" | "S") => {
      if (side === "S") secretFollows = line.startsWith("334");
      else if (secretFollows) return "******** (masked)";
      return line;
    };
    const shown: string[] = [];
    const transcript = new Transcript({ maxLinesInARow: 12, keepFolded: 200, keepLines: false, mask, onLine: (line) => shown.push(line) });
    transcript.data("S", Buffer.from("250 OK\r\n".repeat(299) + "334 \r\n"));
    transcript.data("C", Buffer.from("AHNlY3JldA==\r\n"));
    // And once more, the 334 arriving as a line cut across two chunks.
    transcript.data("S", Buffer.from("250 OK\r\n".repeat(299) + "33"));
    transcript.data("S", Buffer.from("4 \r\n"));
    transcript.data("C", Buffer.from("AHNlY3JldA==\r\n"));
    expect(shown.filter((line) => line.startsWith("C: "))).toEqual(["C: ******** (masked)", "C: ******** (masked)"]);
  });

  test("what follows a long body starts a run of its own: its fold's summary first, then IMAP's \")\" and tagged OK, shown", () => {
    const literal = Buffer.from(Array.from({ length: 30 }, (_, n) => `line ${n}\r\n`).join(""));
    // Both ways a body goes: cut here line by line (--trace), or handed on raw (the console).
    for (const onBody of [undefined, () => {}]) {
      const shown: string[] = [];
      const transcript = new Transcript({ maxLinesInARow: 12, keepLines: false, onBody, onLine: (line, info) => info.fold !== "inside" && shown.push(line) });
      transcript.data("S", Buffer.from("* 1 FETCH (BODY[] {290}\r\n"));
      transcript.body("S", literal);
      transcript.data("S", Buffer.from(")\r\na3 OK FETCH completed\r\n"));
      transcript.data("C", Buffer.from("a4 LOGOUT\r\n"));
      expect(shown.slice(-4)).toEqual(["S: … 19 more lines (171 bytes) not shown", "S: )\\r\\n", "S: a3 OK FETCH completed\\r\\n", "C: a4 LOGOUT\\r\\n"]);
    }
  });
});
