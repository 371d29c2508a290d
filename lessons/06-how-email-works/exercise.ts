// Lesson 06 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 06
// Stuck? npm run hint 06
//
// Every mail server that handles a message writes a "Received:" header on top of it — a
// passport stamp: who handed the message over ("from"), who took it ("by"), and when.
// Read the stamps of a raw message and you have the path it travelled.

import { todo } from "../not-implemented.ts";

export interface Header {
  name: string; // as written: "Received", "Subject"
  value: string; // after the ":", unfolded, with the spaces around it trimmed
}

/**
 * The header section of a raw message, in order, each header unfolded (RFC 5322 §2.2.3).
 *
 *   unfoldHeaders("Subject: Hi\r\nReceived: from a\r\n\tby b; Mon, 23 Nov 2026 20:00:00 +0000\r\n\r\nBody")
 *     → [{ name: "Subject", value: "Hi" },
 *        { name: "Received", value: "from a\tby b; Mon, 23 Nov 2026 20:00:00 +0000" }]
 *
 * - Lines end in "\r\n" (on the wire) or "\n" (in a Maildir file): accept both.
 * - The header section ends at the first empty line; everything after it is the body.
 * - A line that starts with a space or a tab continues the header above it ("folding").
 *   Unfold by removing the line break only: the space or tab stays.
 */
export function unfoldHeaders(raw: string): Header[] {
  todo("unfoldHeaders");
}

export interface Hop {
  from: string | null; // the name after "from": who handed the message over (null: no "from" part)
  by: string | null; // the name after "by": the server that took it and wrote this header
  date: Date | null; // the date after the last ";" (null: none, or not a date)
}

/**
 * The path a message travelled, read from its Received: headers, OLDEST hop first.
 *
 *   Received: from laptop (laptop [127.0.0.1]) by smtp.example.com with ESMTPSA; Mon, 23 Nov 2026 20:00:01 +0000
 *     → { from: "laptop", by: "smtp.example.com", date: new Date("2026-11-23T20:00:01Z") }
 *
 * - Servers PREPEND their header: the topmost Received: is the newest hop.
 * - Header names ignore case (RECEIVED:, received:). Only the header section counts.
 * - Text in parentheses is a comment (RFC 5322 §3.2.2) — "(laptop [127.0.0.1])" above. Comments
 *   may nest, "(a (b) c)", and may contain words like "by"; remove them before you look for
 *   "from" and "by" (which are also case-insensitive).
 */
export function receivedHops(raw: string): Hop[] {
  todo("receivedHops");
}
