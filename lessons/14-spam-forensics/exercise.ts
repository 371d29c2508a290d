// Lesson 14 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 14
// Stuck? npm run hint 14
//
// Spam and phishing forensics: read a mailbox file the way a postmaster does, answer the
// forensic questions about every message, then add the answers up into a score. The checks
// run your scorer on inbox.mbox AND on messages you have never seen: judge what the headers
// and links say, do not memorise the answers for inbox.mbox.
//
// You reuse your own code: intToIpv4 from lesson 01, unfoldHeaders and receivedHops from
// lesson 06 (finish those lessons first). mailparser decodes the MIME parts for you.

import { todo } from "../not-implemented.ts";
// Your tools — uncomment these lines as you need them:
// import { simpleParser } from "mailparser";
// import { intToIpv4, receivedHops, unfoldHeaders } from "./your-earlier-lessons.ts";

/**
 * Cuts an mbox file into its messages (mboxrd, RFC 4155), each without its separator line.
 *
 *   "From alice@example.net Mon Nov 16 09:14:07 2026\nSubject: hi\n\n>From the top\n\nFrom bob@…"
 *     → ["Subject: hi\n\nFrom the top\n", …]
 *
 * - A message starts with a separator line: "From " (space, no colon), the sender, a date. A
 *   separator comes at the very start of the file or after an empty line — never in the middle
 *   of a paragraph, even if a careless program left a body line "From here on…" unescaped.
 * - The writer escaped body lines that start with "From " as ">From ", and ">From " as ">>From ":
 *   remove one ">" from every line that is ">…>From ".
 * - The empty line before the next separator belongs to the file, not to the message: each
 *   message ends with exactly one "\n". Accept "\r\n" line endings too.
 */
export function splitMbox(mbox: string): string[] {
  todo("splitMbox");
}

/**
 * RFC 5322 §3.6.4: a Message-ID is "<" left part "@" right part ">", no spaces, one "@".
 *   "<6f0c1a2e@example.net>" → true;  "<20261123.pharm>", "id@example.net" (no < >),
 *   "<5f3e9 a7b@example.net>", null (no Message-ID at all) → false
 */
export function messageIdWellFormed(messageId: string | null): boolean {
  todo("messageIdWellFormed");
}

/**
 * The domain a host name or e-mail address belongs to: its last two labels, lower case.
 *   "mail.example.net" → "example.net";  "Alice <alice@Example.NET>" → "example.net"
 *   "192.0.2.15", "[192.0.2.15]", "localhost", "User" → null (no domain to compare)
 * Compare DOMAINS, not host names: lists.example.org and mail.example.org are one organisation.
 * (Bonus: a name in another alphabet → its punycode, node:url's domainToASCII.)
 */
export function domainOf(nameOrAddress: string): string | null {
  todo("domainOf");
}

export type HostKind = "domain" | "ip" | "integer-ip" | "encoded-ip";

/**
 * The kind of host a link names, and for any IP the dotted address a browser connects to.
 *   "www.bank.example"     → { kind: "domain", address: null }
 *   "192.0.2.15"           → { kind: "ip", address: "192.0.2.15" }
 *   "3221225999"           → { kind: "integer-ip", address: "192.0.2.15" }   (lesson 01's intToIpv4)
 *   "0xC000020F", "0xC0.0x00.0x02.0x0F", "0300.0000.0002.0017"
 *                          → { kind: "encoded-ip", address: "192.0.2.15" }   (0x… is hex, 0… is octal)
 */
export function classifyHost(host: string): { kind: HostKind; address: string | null } {
  todo("classifyHost");
}

export interface Link {
  href: string; // where the link goes
  shownText: string; // what the reader sees (tags removed, &amp; decoded, white space squeezed)
  host: string; // the host in href, lower case: after "//", without "user@" and ":port"
  kind: HostKind;
  address: string | null; // for an IP of any kind: the dotted address
  mismatch: boolean; // the shown text names a site (a domain or an IP) and href goes to another one
}

/**
 * The http(s) links of a message: each <a href="…">…</a> of its HTML (quotes " or ', any case);
 * a message without HTML: every http:// or https:// URL in its text, shown as itself.
 *   <a href="http://www.bank.example@198.51.100.23/verify">www.bank.example/verify</a>
 *     → { host: "198.51.100.23", kind: "ip", address: "198.51.100.23", mismatch: true, … }
 */
export function findLinks(html: string | null, text: string | null): Link[] {
  todo("findLinks");
}

export interface Findings {
  from: string | null; // the address in From:
  subject: string;
  mailer: string | null; // X-Mailer:, or else User-Agent:
  messageId: string | null;
  messageIdWellFormed: boolean;
  domains: {
    from: string | null; // domainOf(From:)
    returnPath: string | null; // domainOf(Return-Path:)
    receivedChain: string[]; // the domains on the Received: path, oldest first, each once, without your own last server
  };
  authenticationWarnings: string[]; // every X-Authentication-Warning: value
  authenticationResults: string[]; // every Authentication-Results: value
  links: Link[];
}

/**
 * Answers the forensic questions about one raw message (a string from splitMbox).
 * Read the headers with unfoldHeaders and receivedHops (lesson 06); let mailparser decode the
 * body: `const parsed = await simpleParser(raw)` gives parsed.from, parsed.subject, parsed.html
 * (a string, or false) and parsed.text.
 * receivedChain: the "from" and "by" names of every hop — except the newest hop's "by", your
 * own provider's server, which is on every message you receive.
 */
export async function inspect(raw: string): Promise<Findings> {
  todo("inspect");
}

export interface Verdict {
  score: number;
  suspicious: boolean;
  reasons: string[]; // one line per finding that added to the score: "+3 a link shows … but goes to …"
}

/**
 * Adds the findings up into a verdict. The README has a table of signs and suggested weights.
 * The bar (checked on inbox.mbox and on messages you have never seen): every phishing message
 * suspicious, no legitimate message suspicious, at least 80% of the spam suspicious.
 */
export function score(findings: Findings): Verdict {
  todo("score");
}

/** inspect + score. */
export async function isSuspicious(raw: string): Promise<Verdict> {
  return score(await inspect(raw));
}
