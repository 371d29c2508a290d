// A recorded transcript drawn as a sequence diagram: the client's lifeline on the left,
// the server's on the right, time running down, one arrow per message:
//
//    client                         server
//      |  connect: SYN, SYN-ACK, ACK   |
//      |------------------------------>|
//      |  hi\n                         |
//      |------------------------------>|
//      |            3 bytes            |
//      |<------------------------------|
//      |  FIN                          |
//      |- - - - - - - - - - - - - - - >|
//
// The SVG draws everything in `currentColor`, so it takes the text colour of the page
// around it and works in light and dark mode alike; meaning is never carried by colour
// (direction is the arrowhead, a FIN is a dashed arrow and says "FIN").

import type { Connection, Transcript, TranscriptEvent } from "./transcript-render.ts";

const WIDTH = 640;
const CLIENT_X = 110;
const SERVER_X = 530;
const LABEL_CHARS = 52; // what fits between the lifelines in 12px monospace
const TOP = 62; // below the two header boxes

export function renderSequenceDiagram(t: Transcript): string {
  const id = `sd-${t.name.replace(/[^\w-]/g, "-")}`;
  const head = `${id}-head`;
  const parts: string[] = [];
  const steps: string[] = []; // the same diagram in words, for <desc>
  let y = TOP;

  t.connections.forEach((connection, index) => {
    if (t.connections.length > 1 || connection.transport === "udp") {
      const label = connection.transport === "tcp"
        ? `connection ${index + 1} (TCP)`
        : index === 0
          ? "UDP: no connection — every datagram travels on its own"
          : `UDP: client ${index + 1}, from another port`;
      parts.push(`<text x="${WIDTH / 2}" y="${y}" text-anchor="middle" class="sd-section" font-style="italic">${escapeXml(label)}</text>`);
      steps.push(`${label}:`);
      y += 26;
    }
    connection.events.forEach((event, at) => {
      const drawn = drawEvent(connection, event, at, y, head);
      parts.push(drawn.svg);
      steps.push(drawn.words);
      y += drawn.height;
    });
  });

  const height = y + 4;
  const [clientName, serverName] = lifelineNames(t);
  const title = `Sequence diagram: ${t.title}`;
  const desc = `Client on the left, server on the right, time running down. ${steps.join(" ")}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="sequence-diagram" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" style="max-width:100%;height:auto" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, sans-serif" font-size="12" fill="currentColor">
<title id="${id}-title">${escapeXml(title)}</title>
<desc id="${id}-desc">${escapeXml(desc)}</desc>
<defs><marker id="${head}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor" stroke="none"/></marker></defs>
${lifeline(CLIENT_X, "client", clientName, height)}
${lifeline(SERVER_X, "server", serverName, height)}
${parts.join("\n")}
</svg>`;
}

/** One box at the top with the name, and a dashed line down: one side of the conversation. */
function lifeline(x: number, role: string, name: string, height: number): string {
  return `<g class="sd-lifeline sd-${role}">
<rect x="${x - 90}" y="4" width="180" height="40" rx="4" fill="none" stroke="currentColor"/>
<text x="${x}" y="20" text-anchor="middle" font-weight="bold">${role}</text>
<text x="${x}" y="36" text-anchor="middle" font-size="10.5">${escapeXml(shorten(name, 28))}</text>
<line x1="${x}" y1="44" x2="${x}" y2="${height}" stroke="currentColor" stroke-dasharray="2 4"/>
</g>`;
}

/** "examples/tcp-echo-client.ts" from the client command; the server's label as recorded. */
function lifelineNames(t: Transcript): [string, string] {
  const client = /examples\/(\S+\.ts)/.exec(t.client)?.[1] ?? t.client;
  const server = t.servers.map((s) => /examples\/(\S+\.ts)/.exec(s)?.[1] ?? s).join(", ");
  return [client, server];
}

interface Drawn {
  svg: string;
  words: string;
  height: number;
}

function drawEvent(connection: Connection, event: TranscriptEvent, at: number, y: number, head: string): Drawn {
  const who = event.from === "C" ? "client" : "server";
  switch (event.type) {
    case "connect":
      return arrow(event.from, y, head, { label: "connect: SYN, SYN-ACK, ACK", kind: "connect", words: `The ${who} connects (three-way handshake).` });
    case "data": {
      const lineCount = event.lines.length + (event.omittedLines ?? 0);
      const count = `${bytes(event.bytes)}${lineCount > 1 ? `, ${lineCount} lines` : ""}`;
      return arrow(event.from, y, head, {
        // The lines end in a visible \n, so joined they read as the byte stream itself.
        label: shorten(event.lines.join(""), LABEL_CHARS),
        wire: true,
        count,
        kind: "data",
        words: `The ${who} sends ${count}: ${event.lines[0] ?? ""}${lineCount > 1 ? " …" : ""}.`,
      });
    }
    case "datagram":
      return arrow(event.from, y, head, {
        label: shorten(event.text, LABEL_CHARS),
        wire: true,
        count: `one datagram, ${bytes(event.bytes)}`,
        kind: "datagram",
        words: `The ${who} sends a datagram of ${bytes(event.bytes)}: ${event.text}.`,
      });
    case "fin": {
      const kind = finKind(connection.events, at);
      const label = { "half-close": "FIN (half-close)", done: "FIN", closed: "FIN (connection closed)" }[kind];
      return arrow(event.from, y, head, { label, kind: "fin", dashed: true, words: `The ${who} sends ${label}.` });
    }
    case "note":
      return {
        svg: `<text x="${WIDTH / 2}" y="${y}" text-anchor="middle" class="sd-note">[${escapeXml(shorten(event.text, LABEL_CHARS + 10))}]</text>`,
        words: `${event.text}.`,
        height: 24,
      };
  }
}

interface ArrowText {
  label: string;
  kind: string;
  words: string;
  wire?: boolean; // the label is bytes from the wire: monospace
  count?: string; // "6 bytes", written under the arrow
  dashed?: boolean;
}

/** A labelled arrow from one lifeline to the other; the label above, the byte count below. */
function arrow(from: "C" | "S", y: number, head: string, text: ArrowText): Drawn {
  const labelY = y + 4;
  const arrowY = y + 10;
  const [x1, x2] = from === "C" ? [CLIENT_X, SERVER_X] : [SERVER_X, CLIENT_X];
  const font = text.wire ? ` font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"` : "";
  let svg = `<g class="sd-message sd-${text.kind} sd-from-${from === "C" ? "client" : "server"}">
<text x="${WIDTH / 2}" y="${labelY}" text-anchor="middle"${font}>${escapeXml(text.label)}</text>
<line x1="${x1}" y1="${arrowY}" x2="${x2}" y2="${arrowY}" stroke="currentColor" stroke-width="1.5"${text.dashed ? ` stroke-dasharray="6 4"` : ""} marker-end="url(#${head})"/>`;
  if (text.count) svg += `\n<text x="${WIDTH / 2}" y="${arrowY + 15}" text-anchor="middle" font-size="10.5">${escapeXml(text.count)}</text>`;
  svg += "\n</g>";
  return { svg, words: text.words, height: text.count ? 46 : 32 };
}

// ---- shared with transcript-render.ts ------------------------------------------

/**
 * What a FIN means at its place in the conversation. The first FIN of a connection is a
 * half-close when the other side still sends data after it (the connection is half open:
 * one direction finished, the other still going), else that side is simply done; the
 * second FIN closes the connection.
 */
export function finKind(events: TranscriptEvent[], index: number): "half-close" | "done" | "closed" {
  const from = events[index]!.from;
  if (events.slice(0, index).some((event) => event.type === "fin")) return "closed";
  const otherSpeaksLater = events
    .slice(index + 1)
    .some((event) => event.from !== from && (event.type === "data" || event.type === "datagram"));
  return otherSpeaksLater ? "half-close" : "done";
}

export function bytes(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "byte" : "bytes"}`;
}

/** Escapes text for HTML and SVG alike (both are safe with these five). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

function shorten(text: string, max: number): string {
  const chars = Array.from(text); // count characters, not UTF-16 units: 张 is one
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
