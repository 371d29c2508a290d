// Lesson 14 — the reference solution. Try the exercise first!
//
// Spam and phishing forensics: read a mailbox file the way a postmaster does. Which program
// sent each message, does its Message-ID look like a real mail program made it, do the From:,
// Return-Path: and Received: headers agree on where it came from, and do its links go where
// they say they go? Then add the findings up into a score.

import { domainToASCII } from "node:url";
import { simpleParser } from "mailparser";
import { intToIpv4 } from "../01-addresses-and-ports/solution.ts";
import { receivedHops, unfoldHeaders } from "../06-how-email-works/solution.ts";

// #region split
/**
 * Cuts an mbox file into its messages (the mboxrd variant of the mbox family, RFC 4155).
 *
 * Each message starts with a separator line "From <sender> <date>" (a space, no colon: it is
 * not the From: header). A body line that starts with "From " would look like a separator, so
 * the writer puts a ">" in front of it, and of ">From " too; reading, remove one ">".
 */
export function splitMbox(mbox: string): string[] {
  const messages: string[][] = [];
  let previous = ""; // the line before: a separator only comes at the start or after an empty line
  for (const line of mbox.split(/\r?\n/)) {
    if (previous === "" && isSeparator(line)) messages.push([]); // a new message; the line itself is not part of it
    else if (messages.length > 0) messages[messages.length - 1]!.push(/^>+From /.test(line) ? line.slice(1) : line);
    previous = line;
  }
  // Each message ends with the empty line that stood before the next separator: it belongs to the file, not the message.
  return messages.map((lines) => lines.join("\n").replace(/\n+$/, "\n"));
}

/** "From alice@example.net Mon Nov 16 09:14:07 2026": "From ", a sender, and a date ending in its year. */
function isSeparator(line: string): boolean {
  return /^From \S+ .*\d{4}$/.test(line);
}
// #endregion split

// #region message-id
/**
 * RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">". Real mail programs make one from a
 * unique part and their own domain: <6f0c1a2e-…@example.net>. Spamware often gets it wrong.
 */
export function messageIdWellFormed(messageId: string | null): boolean {
  if (messageId === null) return false; // RFC 5322 §3.6.4: every message SHOULD have one
  return /^<[^<>@\s]+@[^<>@\s]+>$/.test(messageId.trim());
}
// #endregion message-id

// #region domain
/**
 * The organisation a host name or address belongs to: its last two labels.
 *   "mail.example.net" → "example.net", "Alice <alice@Example.NET>" → "example.net",
 *   "192.0.2.15" or "[192.0.2.15]" or "localhost" → null (no domain to compare).
 * Names in other alphabets are compared in the form DNS uses, punycode: "bаnk.example" with a
 * Cyrillic "а" is "xn--bnk-6cd.example" — mailparser shows From: addresses the other way round.
 * Real tools use the Public Suffix List (publicsuffix.org), so that "shop.example.co.uk" gives
 * "example.co.uk"; the reserved names of this lesson all have two labels.
 */
export function domainOf(nameOrAddress: string): string | null {
  const name = nameOrAddress.replace(/^.*@/, "").replace(/[<>[\]\s]/g, "").replace(/\.$/, "").toLowerCase();
  const host = domainToASCII(name) || name; // "" when it is not a valid name: keep it as written
  if (!host.includes(".") || /^[\d.]+$/.test(host)) return null;
  return host.split(".").slice(-2).join(".");
}
// #endregion domain

// #region classify-host
export type HostKind = "domain" | "ip" | "integer-ip" | "encoded-ip";

/**
 * What kind of host a link names, and for IPs the address a browser really connects to.
 * Browsers accept more than "192.0.2.15": one 32-bit number (3221225999), hex (0xC000020F) and
 * dotted parts in hex or octal (0xC0.0.2.0x0F, 0300.0000.0002.0017 — a leading 0 means octal).
 * No honest mail writes an address like that: it is there to fool a human reader.
 */
export function classifyHost(host: string): { kind: HostKind; address: string | null } {
  const parts = host.split(".");
  const numeric = /^(0x[0-9a-f]+|\d+)$/i;
  if (!parts.every((part) => numeric.test(part))) return { kind: "domain", address: null };
  const values = parts.map((part) => (/^0x/i.test(part) ? parseInt(part, 16) : /^0\d/.test(part) ? parseInt(part, 8) : Number(part)));
  if (parts.length === 1 && values[0]! <= 0xffffffff) {
    // One number is the whole 32-bit address: lesson 01's converter turns it into dotted form.
    return { kind: /^\d+$/.test(host) ? "integer-ip" : "encoded-ip", address: intToIpv4(values[0]!) };
  }
  if (parts.length === 4 && values.every((value) => value <= 255)) {
    const plain = parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part));
    return { kind: plain ? "ip" : "encoded-ip", address: values.join(".") };
  }
  return { kind: "domain", address: null }; // not an address a browser would accept: treat it as a name
}
// #endregion classify-host

// #region links
export interface Link {
  href: string; // where the link goes
  shownText: string; // what the reader sees
  host: string; // the host of href: after "//", without user name ("user@") and port
  kind: HostKind;
  address: string | null; // for an IP of any kind: the dotted address a browser connects to
  mismatch: boolean; // the shown text names a site, and href goes to another one
}

/** The http(s) links of a message: the <a href>s of its HTML, or else the URLs in its text. */
export function findLinks(html: string | null, text: string | null): Link[] {
  const found: { href: string; shownText: string }[] = [];
  if (html) {
    // <a ... href="…" ...>shown text</a>, with " or ' quotes, in any case.
    for (const match of html.matchAll(/<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi)) {
      found.push({ href: decodeEntities(match[2]!), shownText: decodeEntities(match[3]!.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim() });
    }
  } else if (text) {
    for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/gi)) found.push({ href: match[0], shownText: match[0] });
  }
  return found.filter(({ href }) => /^https?:\/\//i.test(href)).map(({ href, shownText }) => judgeLink(href, shownText));
}

function judgeLink(href: string, shownText: string): Link {
  const host = hostOf(href);
  const { kind, address } = classifyHost(host);
  // Does the text look like an address ("www.bank.example/login", "https://…", "192.0.2.15")?
  const shownName = /(?:https?:\/\/)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/i.exec(shownText)?.[1];
  const shownSite = shownName === undefined ? null : siteOf(shownName);
  return { href, shownText, host, kind, address, mismatch: shownSite !== null && shownSite !== siteOf(host) };
}

/** "http://www.bank.example@198.51.100.23:8080/verify" → "198.51.100.23": the user name before "@" is not the host. */
function hostOf(href: string): string {
  const authority = href.replace(/^[a-z]+:\/\//i, "").split(/[/?#]/)[0]!;
  return authority.slice(authority.lastIndexOf("@") + 1).replace(/:\d*$/, "").toLowerCase();
}

/** Two links go to the same site if they share a domain — or, for IPs, the address. */
function siteOf(host: string): string | null {
  return classifyHost(host).address ?? domainOf(host);
}

/** The few HTML character references that matter in a link: &amp; &lt; &gt; &quot; &nbsp; and numeric ones (&#8594;). */
function decodeEntities(html: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', nbsp: " " };
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith("#")) return String.fromCodePoint(name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
    return named[name.toLowerCase()] ?? entity;
  });
}
// #endregion links

// #region inspect
export interface Findings {
  from: string | null; // the address in From:
  subject: string;
  mailer: string | null; // X-Mailer: or User-Agent: — which program says it wrote the message
  messageId: string | null;
  messageIdWellFormed: boolean;
  domains: {
    from: string | null; // the domain of From: — what the sender CLAIMS
    returnPath: string | null; // the domain of Return-Path: — where bounces go (the envelope sender)
    receivedChain: string[]; // the domains on the path, oldest first, without your own last server
  };
  authenticationWarnings: string[]; // X-Authentication-Warning: values
  authenticationResults: string[]; // Authentication-Results: values (SPF, DKIM, DMARC)
  links: Link[];
}

/** Answers the forensic questions about one raw message (a string from splitMbox). */
export async function inspect(raw: string): Promise<Findings> {
  const headers = unfoldHeaders(raw); // lesson 06
  const first = (name: string) => headers.find((header) => header.name.toLowerCase() === name)?.value ?? null;
  const all = (name: string) => headers.filter((header) => header.name.toLowerCase() === name).map((header) => header.value);

  // mailparser decodes the MIME parts (base64, quoted-printable, charsets) and RFC 2047 names.
  const parsed = await simpleParser(raw);
  const from = parsed.from?.value[0]?.address ?? null;
  const returnPath = first("return-path");
  const messageId = first("message-id");

  return {
    from,
    subject: parsed.subject ?? "",
    mailer: first("x-mailer") ?? first("user-agent"),
    messageId,
    messageIdWellFormed: messageIdWellFormed(messageId),
    domains: {
      from: from === null ? null : domainOf(from),
      returnPath: returnPath === null ? null : domainOf(returnPath),
      receivedChain: chainDomains(raw),
    },
    authenticationWarnings: all("x-authentication-warning"),
    authenticationResults: all("authentication-results"),
    links: findLinks(parsed.html || null, parsed.text ?? null),
  };
}

/**
 * The domains the message passed through, oldest first, each once. The newest stamp's "by" is
 * your own provider's server — it is on every message you receive, so it proves nothing.
 */
function chainDomains(raw: string): string[] {
  const hops = receivedHops(raw); // lesson 06: every Received: stamp, oldest first
  const names = hops.flatMap((hop, index) => (index === hops.length - 1 ? [hop.from] : [hop.from, hop.by]));
  const domains = names.map((name) => (name === null ? null : domainOf(name)));
  return [...new Set(domains.filter((domain) => domain !== null))];
}
// #endregion inspect

// #region score
/** X-Mailer values that spam programs fake: versions real people stopped using long ago. */
const FAKED_MAILERS = [/^The Bat! \(v1\.62r\)/, /^Microsoft Outlook Express 6\.00\.2600\.0000$/];

export interface Verdict {
  score: number;
  suspicious: boolean; // score >= SUSPICIOUS
  reasons: string[]; // one line per finding that added to the score, "+3 a link …"
}

const SUSPICIOUS = 3; // points from which a message counts as suspicious

/**
 * Adds the findings up. Each kind of finding counts once, however often it occurs. No single
 * weak sign — a Return-Path elsewhere (mailing lists do that), a link to an IP address (an
 * admin's dashboard) — is enough on its own; a link that lies about where it goes is.
 */
export function score(findings: Findings): Verdict {
  const reasons: string[] = [];
  let total = 0;
  const add = (points: number, reason: string) => {
    total += points;
    reasons.push(`+${points} ${reason}`);
  };
  const { domains, links } = findings;

  const lying = links.find((link) => link.mismatch);
  if (lying) add(3, `a link shows "${lying.shownText}" but goes to ${lying.host}`);
  const hidden = links.find((link) => link.kind === "integer-ip" || link.kind === "encoded-ip");
  if (hidden) add(3, `a link hides the address ${hidden.address} as "${hidden.host}"`);
  if (links.some((link) => link.kind === "ip")) add(1, "a link goes to a bare IP address");
  const puny = links.find((link) => link.host.split(".").some((label) => label.startsWith("xn--")));
  if (puny) add(2, `a link goes to a punycode name, ${puny.host}: letters from another alphabet that look alike`);
  if (!findings.messageIdWellFormed) add(2, `Message-ID ${findings.messageId ?? "(missing)"} is not <unique@domain>`);
  if (findings.authenticationWarnings.length > 0) add(2, `X-Authentication-Warning: ${findings.authenticationWarnings[0]}`);
  if (findings.mailer !== null && FAKED_MAILERS.some((pattern) => pattern.test(findings.mailer!))) add(2, `X-Mailer "${findings.mailer}" is a favourite of spam programs`);
  // Only failures count: a sender can forge an Authentication-Results: "pass" below your provider's.
  if (findings.authenticationResults.some((result) => /\b(spf|dkim|dmarc)=fail\b/i.test(result))) add(2, "Authentication-Results: a check failed (SPF, DKIM or DMARC)");
  if (domains.from && domains.returnPath && domains.from !== domains.returnPath) add(1, `From: is at ${domains.from}, Return-Path: at ${domains.returnPath}`);
  if (domains.from && !domains.receivedChain.includes(domains.from)) add(1, `${domains.from} (From:) is nowhere on the Received: path`);

  return { score: total, suspicious: total >= SUSPICIOUS, reasons };
}

/** inspect + score: is this raw message spam or phishing? */
export async function isSuspicious(raw: string): Promise<Verdict> {
  return score(await inspect(raw));
}
// #endregion score
