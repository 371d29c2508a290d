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
    const lines = describeEvents(connection).flat();
    return `${heading}<pre class="transcript-lines" tabindex="0" aria-label="${escapeHtml(connectionName(connection, index))}"><code>${lines.join("\n")}</code></pre>`;
  });
  return `<figure class="transcript" id="transcript-${escapeHtml(t.name)}">
<figcaption>${caption(t)}</figcaption>
${blocks.join("\n")}
</figure>`;
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

/** The lines for one connection, as HTML (each an already escaped <span>). */
function describeEvents(connection: Connection): string[][] {
  return connection.events.map((event, index) => {
    const who = `<span class="t-who">${event.from}:</span> `;
    const line = (text: string, kind: string) => `<span class="t-line t-${event.from.toLowerCase()} t-${kind}">${who}${text}</span>`;
    switch (event.type) {
      case "connect":
        return [line(note("connects: the three-way handshake (SYN, SYN-ACK, ACK)"), "event")];
      case "fin":
        return [line(note(finMeaning(connection.events, index)), "event")];
      case "note":
        return [line(note(event.text), "event")];
      case "datagram":
        return [line(`${wire(event.text)}   <span class="t-bytes">(one datagram, ${bytes(event.bytes)})</span>`, "data")];
      case "data": {
        const total = event.lines.length + (event.omittedLines ?? 0);
        const shown = total > MAX_LINES ? event.lines.slice(0, HEAD_LINES) : event.lines;
        const out = shown.map((text) => line(wire(text), "data"));
        if (shown.length < total) {
          out.push(line(note(`… ${total - shown.length} more lines not shown; the whole message is ${bytes(event.bytes)}`), "more"));
        }
        return out;
      }
    }
  });
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
