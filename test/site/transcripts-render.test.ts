// Rendering recorded transcripts: the C:/S: HTML and the SVG sequence diagram.
// Uses small hand-made transcripts for the edge cases, and every committed recording
// (site/transcripts/*.json) for "real data renders".

import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTranscript, renderSequenceDiagram, renderTranscript, TRANSCRIPTS_DIR, type Transcript, type TranscriptEvent } from "../../site/transcript-render.ts";
import { scenarioNames } from "../../site/record-transcripts.ts";

function transcript(events: TranscriptEvent[], more: Partial<Transcript> = {}): Transcript {
  return {
    name: "test",
    lesson: "00-test",
    title: "A <test> & co",
    client: "printf 'a\\n' | npx tsx examples/x-client.ts",
    servers: ["npx tsx examples/x-server.ts"],
    normalized: [],
    connections: [{ transport: "tcp", server: "npx tsx examples/x-server.ts", events }],
    ...more,
  };
}

const http: TranscriptEvent[] = [
  { type: "connect", from: "C" },
  { type: "data", from: "C", bytes: 18, lines: ["GET / HTTP/1.1\\r\\n", "\\r\\n"] },
  { type: "data", from: "S", bytes: 40, lines: ["HTTP/1.1 200 OK\\r\\n", "\\r\\n", '<p class="x">Tom & Jerry</p>\\n'] },
  { type: "fin", from: "S" },
  { type: "fin", from: "C" },
];

/** Checks that every tag is closed in order, and returns the tag names in document order. */
function checkWellFormed(markup: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const [tag, closing, name, attributes, selfClosing] of markup.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    expect(attributes!.replace(/\s[\w:-]+="[^"]*"/g, "").trim(), `unquoted attribute in ${tag}`).toBe("");
    if (closing) {
      expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    } else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  expect(stack, "elements left open").toEqual([]);
  expect(markup.replace(/<[^>]*>/g, ""), "a raw < or > in text").not.toMatch(/[<>]/);
  return names;
}

describe("renderTranscript (the C:/S: text)", () => {
  test("escapes HTML in the bytes and the caption, so a recorded page shows as text", () => {
    const html = renderTranscript(transcript(http));
    expect(html).toContain("&lt;p class=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/p&gt;");
    expect(html).not.toContain('<p class="x">');
    expect(html).toContain("A &lt;test&gt; &amp; co");
    checkWellFormed(html);
  });

  test("shows \\r\\n as visible text, marked so CSS can style it", () => {
    const html = renderTranscript(transcript(http));
    expect(html).toContain('GET / HTTP/1.1<span class="t-esc">\\r</span><span class="t-esc">\\n</span>');
    // every line says who sent it in words (C:/S:), not only by colour
    const lines = html.match(/<span class="t-line [^"]*">/g)!;
    expect(lines).toHaveLength(1 + 2 + 3 + 2);
    expect(html.match(/<span class="t-who">[CS]:<\/span>/g)).toHaveLength(lines.length);
  });

  test("has a caption naming the client command and the server, and a focusable block per connection", () => {
    const two = transcript(http, {
      connections: [
        { transport: "tcp", server: "npx tsx examples/x-server.ts", events: http },
        { transport: "tcp", server: "npx tsx examples/x-server.ts", events: http },
      ],
    });
    const html = renderTranscript(two);
    expect(html).toMatch(/<figure[^>]*>\s*<figcaption>/);
    expect(html).toContain("printf &#39;a\\n&#39; | npx tsx examples/x-client.ts");
    expect(html.match(/<pre class="transcript-lines" tabindex="0" aria-label="Connection \d \(TCP\)/g)).toHaveLength(2);
    expect(html).toContain("Connection 2 (TCP)");
  });

  test("says in the caption what was normalized and what is hidden", () => {
    const html = renderTranscript(transcript(http, { normalized: ["the queue id"], masked: ["the password"] }));
    expect(html).toContain("Replaced by fixed values, so that every run records the same: the queue id.");
    expect(html).toContain("Hidden (shown as <code>******</code>): the password.");
    expect(renderTranscript(transcript(http))).not.toContain("Hidden");
  });

  test("marks the connect, a half-close and the close in words", () => {
    const html = renderTranscript(
      transcript([
        { type: "connect", from: "C" },
        { type: "data", from: "C", bytes: 4, lines: ["Ann\\n"] },
        { type: "fin", from: "C" },
        { type: "data", from: "S", bytes: 13, lines: ["Hello, Ann!\\r\\n"] },
        { type: "fin", from: "S" },
      ]),
    );
    expect(html).toContain("three-way handshake");
    expect(html).toContain("[FIN: half-close — the client sends no more, but still receives]");
    expect(html).toContain("[FIN: the server is done too — the connection is closed]");
  });

  test("abbreviates a long body: the first lines, then how much more", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\\n`);
    const html = renderTranscript(transcript([{ type: "data", from: "S", bytes: 210, lines, omittedLines: 5 }]));
    expect(html).toContain("line 15");
    expect(html).not.toContain("line 16");
    expect(html).toContain("… 19 more lines not shown; the whole message is 210 bytes");
  });

  test("shows UDP datagrams one per line, with their size, and says there is no connection", () => {
    const html = renderTranscript(
      transcript([], {
        connections: [
          {
            transport: "udp",
            server: "npx tsx examples/udp-hello-server.ts",
            events: [
              { type: "datagram", from: "C", bytes: 3, text: "Bob" },
              { type: "datagram", from: "S", bytes: 11, text: "Hello, Bob!" },
            ],
          },
        ],
      }),
    );
    expect(html).toContain("Bob   <span class=\"t-bytes\">(one datagram, 3 bytes)</span>");
    expect(html).toContain("UDP, no connection");
  });

  test("loadTranscript names the missing recording and the fix", () => {
    expect(() => loadTranscript("no-such-thing")).toThrow('transcript "no-such-thing" not found — run npm run transcripts');
  });
});

describe("renderSequenceDiagram (the SVG)", () => {
  test("is well-formed SVG with a viewBox, a <title> first and a <desc>, labelled for screen readers", () => {
    const svg = renderSequenceDiagram(transcript(http));
    const names = checkWellFormed(svg);
    expect(names[0]).toBe("svg");
    expect(names[1]).toBe("title");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* viewBox="0 0 \d+ \d+"/);
    expect(svg).toContain('role="img" aria-labelledby="sd-test-title sd-test-desc"');
    expect(svg).toContain('<title id="sd-test-title">Sequence diagram: A &lt;test&gt; &amp; co</title>');
    expect(svg).toMatch(/<desc id="sd-test-desc">Client on the left, server on the right[^<]*The server sends 40 bytes/);
  });

  test("one arrow per message, each with its byte count; FINs dashed and named", () => {
    const svg = renderSequenceDiagram(transcript(http));
    const arrows = svg.match(/<line [^>]*marker-end="url\(#sd-test-head\)"/g)!;
    expect(arrows).toHaveLength(http.length);
    expect(svg).toContain(">18 bytes, 2 lines<");
    expect(svg).toContain(">40 bytes, 3 lines<");
    expect(svg).toContain(">connect: SYN, SYN-ACK, ACK<");
    expect(svg).toContain(">FIN<");
    expect(svg).toContain(">FIN (connection closed)<");
    expect(svg.match(/stroke-dasharray="6 4"/g)).toHaveLength(2);
    // the client's messages go right (client x < server x), the server's go left
    const [, x1, x2] = /<line x1="(\d+)" y1="\d+" x2="(\d+)"/.exec(arrows[1]!)!;
    const [, y1, y2] = /<line x1="(\d+)" y1="\d+" x2="(\d+)"/.exec(arrows[2]!)!;
    expect(Number(x1)).toBeLessThan(Number(x2));
    expect(Number(y1)).toBeGreaterThan(Number(y2));
  });

  test("draws in currentColor only, so it works on light and dark pages", () => {
    const svg = renderSequenceDiagram(transcript(http));
    const colours = [...svg.matchAll(/(?:fill|stroke|color)="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(colours)).toEqual(new Set(["currentColor", "none"]));
    expect(svg).not.toMatch(/#[0-9a-f]{3,6}\b|black|white|rgb\(/i);
  });

  test("escapes and shortens wire text in labels", () => {
    const svg = renderSequenceDiagram(
      transcript([{ type: "data", from: "S", bytes: 200, lines: ["<html lang=\"en\">" + "x".repeat(100) + "\\n"] }]),
    );
    expect(svg).toContain("&lt;html lang=&quot;en&quot;&gt;xxx");
    expect(svg).toContain("…<");
    checkWellFormed(svg);
  });

  test("UDP: datagrams as arrows, and a note that there is no connection", () => {
    const svg = renderSequenceDiagram(
      transcript([], {
        connections: [{ transport: "udp", server: "npx tsx examples/udp-echo-server.ts", events: [{ type: "datagram", from: "C", bytes: 2, text: "hi" }] }],
      }),
    );
    expect(svg).toContain("UDP: no connection");
    expect(svg).toContain(">one datagram, 2 bytes<");
    expect(svg).not.toContain("FIN");
  });
});

describe("every committed recording renders", () => {
  // The proxy records raw bytes: a scenario that logs in must mask the password (its `mask`).
  test.each(scenarioNames())("%s shows no demo password, plain or base64", (name) => {
    const text = readFileSync(join(TRANSCRIPTS_DIR, `${name}.json`), "utf8");
    const forms = ["secret", Buffer.from("secret").toString("base64"), Buffer.from("\0me@example.com\0secret").toString("base64")];
    for (const form of forms) expect(text, `site/transcripts/${name}.json contains "${form}"`).not.toContain(form);
  });


  test.each(scenarioNames())("%s", (name) => {
    const t = loadTranscript(name);
    expect(t.name).toBe(name);
    checkWellFormed(renderTranscript(t));
    const svg = renderSequenceDiagram(t);
    checkWellFormed(svg);
    const messages = t.connections.flatMap((c) => c.events).filter((e) => e.type !== "note").length;
    expect(svg.match(/marker-end=/g)).toHaveLength(messages);
  });
});
