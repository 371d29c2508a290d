// Spec for lessons/06-how-email-works: reading the hop path of a message from its Received:
// headers — hand-written messages in the styles of real servers, then a real message that
// travelled through the playground's two providers.
import { readFile } from "node:fs/promises";
import { expect } from "vitest";
import nodemailer from "nodemailer";
import { checkLesson } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/06-how-email-works/exercise.ts";
import type { Hop } from "../../../lessons/06-how-email-works/solution.ts";
import { FOLDED, FOLDED_HEADERS, FOLDED_PATH, MISSING_PARTS, MISSING_PARTS_PATH, NO_STAMPS, THREE_HOPS, THREE_HOPS_HEADERS, THREE_HOPS_PATH } from "./messages.ts";
import { mailPlayground, uniqueMarker, waitForMessage } from "./mail-playground.ts";

type Lesson06 = typeof import("../../../lessons/06-how-email-works/solution.ts");

/** Hops with their dates as ISO text, so a failure shows readable values. */
const readable = (hops: Hop[]) =>
  hops.map(({ from, by, date }) => ({ from, by, date: date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : date }));

checkLesson<Lesson06>("06-how-email-works", {
  exercise,
  checks: [
    {
      name: "unfoldHeaders: every header in order, split at its first colon (CRLF line endings)",
      run({ unfoldHeaders }) {
        expect(unfoldHeaders(THREE_HOPS)).toEqual(THREE_HOPS_HEADERS);
      },
    },
    {
      name: "unfoldHeaders: folded headers become one line, keeping the space or tab (LF line endings)",
      run({ unfoldHeaders }) {
        expect(unfoldHeaders(FOLDED)).toEqual(FOLDED_HEADERS);
      },
    },
    {
      name: "unfoldHeaders stops at the empty line, and copes without one",
      run({ unfoldHeaders }) {
        expect(unfoldHeaders(NO_STAMPS), "the body's 'Received:' line is not a header").toEqual([
          { name: "From", value: "me@example.com" },
          { name: "Subject", value: "draft" },
        ]);
        expect(unfoldHeaders("Subject: only a header"), "a message that is one header line, no line break").toEqual([
          { name: "Subject", value: "only a header" },
        ]);
      },
    },
    {
      name: "receivedHops: three stamps give three hops, oldest first; the body and X-Received: do not count",
      run({ receivedHops }) {
        expect(readable(receivedHops(THREE_HOPS))).toEqual(readable(THREE_HOPS_PATH));
      },
    },
    {
      name: "receivedHops: folded stamps, odd spacing, FROM/BY in capitals, (nested (comments)), time zones",
      run({ receivedHops }) {
        expect(readable(receivedHops(FOLDED))).toEqual(readable(FOLDED_PATH));
      },
    },
    {
      name: "receivedHops: a missing from, by or date is null; no stamps at all is []",
      run({ receivedHops }) {
        expect(readable(receivedHops(MISSING_PARTS))).toEqual(readable(MISSING_PARTS_PATH));
        expect(receivedHops(NO_STAMPS), "a message with no Received: header (the body does not count)").toEqual([]);
      },
    },
    {
      name: "unfoldHeaders: a folded header with CRLF line ends keeps no \\r; tabs around a value are trimmed too",
      run({ unfoldHeaders }) {
        const raw = "Received: from a\r\n\tby b; Mon, 23 Nov 2026 20:00:00 +0000\r\nSubject:\tHi there\t\r\n\r\nbody\r\n";
        const headers = unfoldHeaders(raw);
        const received = headers.find((header) => header.name === "Received")?.value ?? "";
        expect(received.includes("\r"), `the unfolded Received: value ${JSON.stringify(received)} still holds the "\\r" of its first line: remove the whole "\\r\\n" line break, keep only the tab`).toBe(false);
        expect(headers).toEqual([
          { name: "Received", value: "from a\tby b; Mon, 23 Nov 2026 20:00:00 +0000" },
          { name: "Subject", value: "Hi there" }, // "the spaces around it trimmed": a tab is white space too
        ]);
      },
    },
    {
      name: "receivedHops: any case of Received:, a (comment (that nests)) holding 'by', ';' inside the clauses, 'by b;', a date that is not one",
      run({ receivedHops }) {
        const raw = [
          // oldest (bottom) to newest (top), written top first as servers prepend:
          "received: from d by e; not a date at all",
          "RECEIVED: from c by d with SMTP id 7; for <friend@example.org>; Mon, 23 Nov 2026 20:00:03 +0000",
          "Received: (from root (uid 0) by localhost) by c; Mon, 23 Nov 2026 20:00:02 +0000",
          "Received: from a by b; Mon, 23 Nov 2026 20:00:01 +0000",
          "Subject: edge cases",
          "",
          "body",
        ].join("\r\n");
        const hops = readable(receivedHops(raw));
        expect(hops.length, "four Received: headers, whatever the case of their name (RECEIVED:, received:): four hops").toBe(4);
        expect(hops[0], '"by b; Mon, …": the name ends at the ";" — the date comes after it').toEqual({ from: "a", by: "b", date: "2026-11-23T20:00:01.000Z" });
        expect(hops[1], 'a comment may nest and may hold "by": "(from root (uid 0) by localhost)" is all comment, so by is "c"').toEqual({ from: null, by: "c", date: "2026-11-23T20:00:02.000Z" });
        expect(hops[2], 'the date is after the LAST ";" (this stamp has a ";" in its clauses too)').toEqual({ from: "c", by: "d", date: "2026-11-23T20:00:03.000Z" });
        expect(hops[3], '"not a date at all" is no date: null, not an Invalid Date').toEqual({ from: "d", by: "e", date: null });
      },
    },
    {
      name: "a real message, me@example.com → friend@example.org through the playground: two hops",
      timeoutMs: 15_000,
      async run({ receivedHops }) {
        const mail = await mailPlayground();
        const marker = uniqueMarker("lesson06");
        const transport = nodemailer.createTransport({
          host: "127.0.0.1",
          port: mail.ports.submission,
          auth: { user: "me@example.com", pass: "secret" },
          tls: { ca: await readFile(mail.caFile) },
        });
        try {
          await transport.sendMail({ from: "me@example.com", to: "friend@example.org", subject: marker, text: "Hello!" });
        } finally {
          transport.close();
        }
        const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes(marker));
        const hops = receivedHops(raw.toString("utf8"));
        const shown = JSON.stringify(readable(hops), null, 2);
        expect(hops.length, `the hops found in the stored message:\n${shown}`).toBe(2);
        const [submission, mx] = hops as [Hop, Hop];
        expect(submission.by, "hop 1 was taken by the example.com submission server").toMatch(/example\.com/);
        expect(mx.by, "hop 2 was taken by the example.org MX").toMatch(/example\.org/);
        expect(mx.from, "hop 2 came from the example.com server").toMatch(/example\.com/);
        expect(submission.date, "hop 1 has a date").toBeInstanceOf(Date);
        expect(mx.date, "hop 2 has a date").toBeInstanceOf(Date);
        expect(mx.date!.getTime(), "hop 2 happened no earlier than hop 1").toBeGreaterThanOrEqual(submission.date!.getTime());
      },
    },
  ],
});
