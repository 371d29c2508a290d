// Hand-written raw messages for lesson 06's checks, each with the hops a correct reader finds.
// They copy the styles of real servers: Postfix, Sendmail, qmail, Gmail's internal hops.

import type { Hop } from "../../../lessons/06-how-email-works/solution.ts";

const hop = (from: string | null, by: string | null, iso: string | null): Hop => ({
  from,
  by,
  date: iso === null ? null : new Date(iso),
});

/** CRLF line endings, no comments, three hops — and a body that LOOKS like headers. */
export const THREE_HOPS = [
  "Received: from mx.example.org by inbox.example.org with LMTP; Mon, 23 Nov 2026 20:00:03 +0000",
  "X-Received: by 10.20.30.40 with SMTP id x1; Mon, 23 Nov 2026 20:00:02 +0000",
  "Received: from smtp.example.com by mx.example.org with ESMTPS; Mon, 23 Nov 2026 20:00:02 +0000",
  "Received: from laptop by smtp.example.com with ESMTPSA; Mon, 23 Nov 2026 20:00:01 +0000",
  "From: me@example.com",
  "To: friend@example.org",
  "Subject: Re: three hops: a test",
  "",
  "Hello! The next line is body text, not a header:",
  "Received: from liar.example by nowhere.example; Mon, 1 Jan 2001 00:00:00 +0000",
  "",
].join("\r\n");

export const THREE_HOPS_HEADERS = [
  { name: "Received", value: "from mx.example.org by inbox.example.org with LMTP; Mon, 23 Nov 2026 20:00:03 +0000" },
  { name: "X-Received", value: "by 10.20.30.40 with SMTP id x1; Mon, 23 Nov 2026 20:00:02 +0000" },
  { name: "Received", value: "from smtp.example.com by mx.example.org with ESMTPS; Mon, 23 Nov 2026 20:00:02 +0000" },
  { name: "Received", value: "from laptop by smtp.example.com with ESMTPSA; Mon, 23 Nov 2026 20:00:01 +0000" },
  { name: "From", value: "me@example.com" },
  { name: "To", value: "friend@example.org" },
  { name: "Subject", value: "Re: three hops: a test" },
];

export const THREE_HOPS_PATH: Hop[] = [
  hop("laptop", "smtp.example.com", "2026-11-23T20:00:01Z"),
  hop("smtp.example.com", "mx.example.org", "2026-11-23T20:00:02Z"),
  hop("mx.example.org", "inbox.example.org", "2026-11-23T20:00:03Z"),
];

/**
 * LF line endings (as in a Maildir file), folded headers (tabs and spaces), odd spacing,
 * upper-case keywords, nested comments, comments holding "by" and ";", time zones.
 */
export const FOLDED = [
  "Return-Path: <me@example.com>",
  "Received: from mx.example.org (mx.example.org [192.0.2.25])",
  "\tby mail.example.org (Postfix) with ESMTP id 4F2A1",
  "\tfor <friend@example.org>; Tue, 24 Nov 2026 04:00:05 +0800 (CST)",
  "Received:   FROM   smtp.example.com   (smtp.example.com [192.0.2.10] (may be forged))",
  "        BY    mx.example.org   (8.15.2/8.15.2)  WITH ESMTP",
  "        ;     Mon, 23 Nov 2026 15:00:04 -0500",
  "Received: from [127.0.0.1] (unknown [127.0.0.1]) (Authenticated sender: me; by webmail)",
  " by smtp.example.com (Socket Playground) with ESMTPSA id 1a2b",
  " for <friend@example.org>; Mon, 23 Nov 2026 20:00:03 +0000",
  "received: (qmail 4321 invoked by uid 1000); 23 Nov 2026 20:00:02 -0000",
  "Subject: =?UTF-8?B?5p2l6IeqU01UUOeahOmXruWAmeKApuKApg==?=",
  " (and more)",
  "",
  "body line",
  "",
].join("\n");

export const FOLDED_HEADERS = [
  { name: "Return-Path", value: "<me@example.com>" },
  {
    name: "Received",
    value:
      "from mx.example.org (mx.example.org [192.0.2.25])\tby mail.example.org (Postfix) with ESMTP id 4F2A1" +
      "\tfor <friend@example.org>; Tue, 24 Nov 2026 04:00:05 +0800 (CST)",
  },
  {
    name: "Received",
    value:
      "FROM   smtp.example.com   (smtp.example.com [192.0.2.10] (may be forged))" +
      "        BY    mx.example.org   (8.15.2/8.15.2)  WITH ESMTP        ;     Mon, 23 Nov 2026 15:00:04 -0500",
  },
  {
    name: "Received",
    value:
      "from [127.0.0.1] (unknown [127.0.0.1]) (Authenticated sender: me; by webmail)" +
      " by smtp.example.com (Socket Playground) with ESMTPSA id 1a2b for <friend@example.org>; Mon, 23 Nov 2026 20:00:03 +0000",
  },
  { name: "received", value: "(qmail 4321 invoked by uid 1000); 23 Nov 2026 20:00:02 -0000" },
  { name: "Subject", value: "=?UTF-8?B?5p2l6IeqU01UUOeahOmXruWAmeKApuKApg==?= (and more)" },
];

export const FOLDED_PATH: Hop[] = [
  hop(null, null, "2026-11-23T20:00:02Z"), // qmail's local stamp: its only "by" is inside a comment
  hop("[127.0.0.1]", "smtp.example.com", "2026-11-23T20:00:03Z"),
  hop("smtp.example.com", "mx.example.org", "2026-11-23T20:00:04Z"),
  hop("mx.example.org", "mail.example.org", "2026-11-23T20:00:05Z"),
];

/** Parts missing: a stamp without "from" (Gmail's internal hops), one without a date. */
export const MISSING_PARTS = [
  "Received: by 10.0.0.7 with HTTP; Mon, 23 Nov 2026 20:00:00 +0000",
  "Received: from a.example by b.example with SMTP",
  "Subject: no body follows, and no empty line either",
].join("\r\n");

export const MISSING_PARTS_PATH: Hop[] = [
  hop("a.example", "b.example", null),
  hop(null, "10.0.0.7", "2026-11-23T20:00:00Z"),
];

/** No Received: at all — a message that never left the machine it was written on. */
export const NO_STAMPS = "From: me@example.com\r\nSubject: draft\r\n\r\nReceived: from body by body; Mon, 23 Nov 2026 20:00:00 +0000\r\n";
