// Recorded conversations ("transcripts"), as the site shows them.
//
// `npm run transcripts` (site/record-transcripts.ts) runs each lesson's real example
// client against the real server, through a recording proxy, and saves what crossed
// the wire in site/transcripts/<name>.json. This file reads those recordings and turns
// them into HTML: the C:/S: text the RFCs use, and a sequence diagram (the SVG is drawn
// by site/sequence-diagram.ts). A lesson README asks for one with the line
//   <!-- transcript: tcp-echo -->

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { bytes, escapeXml as escapeHtml, finKind } from "./sequence-diagram.ts";

export { renderSequenceDiagram } from "./sequence-diagram.ts";

export type Side = "C" | "S";

/** One recorded run of one scenario: the JSON file site/transcripts/<name>.json. */
export interface Transcript {
  name: string;
  /** The lesson that shows it, e.g. "03-tcp-server". */
  lesson: string;
  /** One line: what happens in this conversation. */
  title: string;
  /** The client command, as the lesson shows it (printf '…' | npx tsx examples/…). */
  client: string;
  /** How each server was started, as the lesson shows it. */
  servers: string[];
  /** What was replaced by fixed values (ports, dates …), so that every recording is byte-identical. */
  normalized: string[];
  /** Secrets the recording hides (the proxy saw them on the wire), e.g. "the password". */
  masked?: string[];
  connections: Connection[];
}

export interface Connection {
  transport: "tcp" | "udp";
  /** Which of the transcript's servers the client talked to. */
  server: string;
  events: TranscriptEvent[];
}

export type TranscriptEvent =
  /** TCP: the three-way handshake completed (the client connected). */
  | { type: "connect"; from: Side }
  /** TCP: bytes one side sent before the other side spoke; `lines` cut at "\n", with \r \n made visible. */
  | { type: "data"; from: Side; bytes: number; lines: string[]; omittedLines?: number }
  /** UDP: one datagram, shown whole (a datagram is one message, not a stream). */
  | { type: "datagram"; from: Side; bytes: number; text: string }
  /** TCP: a FIN, "no more data from this side". */
  | { type: "fin"; from: Side }
  /** Anything else the recorder saw: a reset, an unreachable server. */
  | { type: "note"; from: Side; text: string };

export const TRANSCRIPTS_DIR = fileURLToPath(new URL("transcripts/", import.meta.url));

/** Reads site/transcripts/<name>.json. */
export function loadTranscript(name: string): Transcript {
  let text: string;
  try {
    text = readFileSync(`${TRANSCRIPTS_DIR}${name}.json`, "utf8");
  } catch {
    throw new Error(`transcript "${name}" not found — run npm run transcripts`);
  }
  return JSON.parse(text) as Transcript;
}

// ---- C:/S: text -------------------------------------------------------------

/** A message longer than this many lines shows its first HEAD_LINES and a count of the rest. */
const MAX_LINES = 24;
const HEAD_LINES = 16;

/** HTML for a transcript: a captioned figure, one block of C:/S: lines per connection. */
export function renderTranscript(t: Transcript): string {
  const blocks = t.connections.map((connection, index) => {
    const heading = t.connections.length > 1 ? `<p class="transcript-connection">${connectionName(connection, index)}</p>\n` : "";
    const lines = transcriptLines(connection).map(lineHtml);
    return `${heading}<pre class="transcript-lines" tabindex="0" aria-label="${escapeHtml(connectionName(connection, index))}"><code>${lines.join("\n")}</code></pre>`;
  });
  return `<figure class="transcript" id="transcript-${escapeHtml(t.name)}">
<figcaption>${caption(t)}</figcaption>
${blocks.join("\n")}
</figure>`;
}

/**
 * The same transcript as Markdown, for a lesson README read outside the site (an editor, a Git
 * host's file view): the caption in words, then one ```text block of C:/S: lines per connection.
 */
export function transcriptMarkdown(t: Transcript): string {
  const servers = t.servers.map((server) => `\`${server}\``).join(" and ");
  const normalized = t.normalized.length > 0 ? ` Replaced by fixed values, so that every run records the same: ${t.normalized.join("; ")}.` : "";
  const masked = t.masked && t.masked.length > 0 ? ` Hidden (shown as \`******\`): ${t.masked.join("; ")}.` : "";
  const parts = [
    `**${t.title}** — recorded from a real run of \`${t.client}\` against ${servers}. ` +
      `\`C:\` is what the client sent, \`S:\` what the server sent; \`\\r\` and \`\\n\` are the line-ending bytes, shown as text.${normalized}${masked}`,
  ];
  t.connections.forEach((connection, index) => {
    if (t.connections.length > 1) parts.push(`*${connectionName(connection, index)}*`);
    const lines = transcriptLines(connection).map(({ from, kind, text, detail }) =>
      `${from}: ${kind === "data" ? text : `[${text}]`}${detail ? `   (${detail})` : ""}`,
    );
    parts.push(["```text", ...lines, "```"].join("\n"));
  });
  return parts.join("\n\n");
}

function connectionName(connection: Connection, index: number): string {
  return connection.transport === "tcp"
    ? `Connection ${index + 1} (TCP) to ${connection.server}`
    : `Datagrams ${index === 0 ? "" : `(client ${index + 1}) `}to and from ${connection.server} (UDP, no connection)`;
}

function caption(t: Transcript): string {
  const servers = t.servers.map((server) => `<code>${escapeHtml(server)}</code>`).join(" and ");
  const normalized = t.normalized.length > 0 ? ` Replaced by fixed values, so that every run records the same: ${escapeHtml(t.normalized.join("; "))}.` : "";
  const masked = t.masked && t.masked.length > 0 ? ` Hidden (shown as <code>******</code>): ${escapeHtml(t.masked.join("; "))}.` : "";
  return (
    `<strong>${escapeHtml(t.title)}</strong> ` +
    `<span class="transcript-how">Recorded from a real run of <code>${escapeHtml(t.client)}</code> against ${servers}. ` +
    `<code>C:</code> is what the client sent, <code>S:</code> what the server sent; ` +
    `<code>\\r</code> and <code>\\n</code> are the line-ending bytes, shown as text.${normalized}${masked}</span>`
  );
}

/** One line of a transcript: bytes on the wire ("data"), or what happened, in words. */
interface TranscriptLine {
  from: Side;
  kind: "data" | "event" | "more";
  text: string;
  /** e.g. "one datagram, 12 bytes" */
  detail?: string;
}

/** The C:/S: lines of one connection, as plain text (the HTML and the Markdown are made from these). */
function transcriptLines(connection: Connection): TranscriptLine[] {
  return connection.events.flatMap((event, index): TranscriptLine[] => {
    const from = event.from;
    switch (event.type) {
      case "connect":
        return [{ from, kind: "event", text: "connects: the three-way handshake (SYN, SYN-ACK, ACK)" }];
      case "fin":
        return [{ from, kind: "event", text: finMeaning(connection.events, index) }];
      case "note":
        return [{ from, kind: "event", text: event.text }];
      case "datagram":
        return [{ from, kind: "data", text: event.text, detail: `one datagram, ${bytes(event.bytes)}` }];
      case "data": {
        const total = event.lines.length + (event.omittedLines ?? 0);
        const shown = total > MAX_LINES ? event.lines.slice(0, HEAD_LINES) : event.lines;
        const out: TranscriptLine[] = shown.map((text) => ({ from, kind: "data", text }));
        if (shown.length < total) {
          out.push({ from, kind: "more", text: `… ${total - shown.length} more lines not shown; the whole message is ${bytes(event.bytes)}` });
        }
        return out;
      }
    }
  });
}

function lineHtml({ from, kind, text, detail }: TranscriptLine): string {
  const body = kind === "data" ? wire(text) : note(text);
  const extra = detail ? `   <span class="t-bytes">(${escapeHtml(detail)})</span>` : "";
  return `<span class="t-line t-${from.toLowerCase()} t-${kind}"><span class="t-who">${from}:</span> ${body}${extra}</span>`;
}

/** A FIN in words: the first one is a half-close (or just "done"), the second ends the connection. */
function finMeaning(events: TranscriptEvent[], index: number): string {
  const who = events[index]!.from === "C" ? "the client" : "the server";
  switch (finKind(events, index)) {
    case "half-close":
      return `FIN: half-close — ${who} sends no more, but still receives`;
    case "done":
      return `FIN: ${who} has no more to send`;
    case "closed":
      return `FIN: ${who} is done too — the connection is closed`;
  }
}

function note(text: string): string {
  return `<span class="t-note">[${escapeHtml(text)}]</span>`;
}

/** Transcript text with the visible escapes (\r \n \t \xNN) marked, so CSS can tone them down. */
function wire(text: string): string {
  return escapeHtml(text).replace(/\\(?:r|n|t|x[0-9a-f]{2})/g, (escape) => `<span class="t-esc">${escape}</span>`);
}

/**
 * Styles for the figure and the diagram; the site generator puts them on every page that
 * shows a transcript. Colours come from the page's own variables (light and dark mode), with
 * fallbacks; nothing means something by colour alone ("C:"/"S:" and the arrows say who).
 */
export const transcriptCss = `
.transcript { margin: 1em 0; }
.transcript figcaption { font-size: 0.9em; color: var(--fg-soft, inherit); margin-bottom: 0.4em; }
.transcript figcaption strong { color: var(--fg, inherit); }
.transcript-connection { font-size: 0.85em; font-weight: 600; margin: 0.6em 0 0.2em; }
.transcript-lines { font-family: var(--mono, monospace); background: var(--bg-code, transparent); border: 1px solid var(--border, currentColor); border-radius: 6px; padding: 0.6em 0.8em; overflow-x: auto; line-height: 1.45; }
.transcript-lines .t-who { font-weight: 700; }
.transcript-lines .t-s .t-who { color: var(--accent, inherit); }
.transcript-lines .t-esc, .transcript-lines .t-note, .transcript-lines .t-bytes { color: var(--fg-soft, inherit); }
.transcript-lines .t-note { font-style: italic; }
.sequence-diagram { display: block; margin: 0.5em auto 1.5em; color: var(--fg, currentColor); }
@media print { .transcript-lines { white-space: pre-wrap; overflow: visible; } .sequence-diagram { break-inside: avoid; } }
`;
