// What a transcript hides: every protocol's passwords, in one place. A line is masked where it
// is cut into C:/S: lines, and that is not always in the server: a server on a worker thread
// sends the console its bytes uncut, and the console's store cuts and masks them when someone
// asks to see them (session-report.ts: RawCut). So a mask must not ask the server anything — only the lines
// it sees, in order, and whether the session has logged in (SessionChange.account says so).
//
// Every mask gets a line already escaped for display: a tab shows as "\t", CRLF as "\r\n".

import type { Side } from "./transcript.ts";

export type Mask = (line: string, side: Side) => string;

/**
 * A mask: a client line that starts with one of `prefixes` shows the prefix, then "****" (and
 * its line ending). maskSecrets(/^PASS /i) turns "PASS secret\r\n" into "PASS ****\r\n".
 */
export function maskSecrets(...prefixes: RegExp[]): Mask {
  return (line, side) => {
    if (side !== "C") return line;
    for (const prefix of prefixes) {
      const match = prefix.exec(line);
      if (match?.index === 0) return match[0] + "****" + (/(?:\\r)?\\n$/.exec(line)?.[0] ?? "");
    }
    return line;
  };
}

/** POP3: passwords and APOP digests (RFC 1939 §7). */
export const POP3_MASK = maskSecrets(/^PASS /i, /^APOP \S+ /i);

/** NNTP: AUTHINFO PASS (RFC 4643 §2.3). */
export const NNTP_MASK = maskSecrets(/^AUTHINFO(?: |\t)+PASS(?: |\t)+/i);

/**
 * The mask of one SMTP session. AUTH secrets never reach a transcript: "AUTH PLAIN <base64>" and
 * every line answering a 334 challenge (RFC 4954 §4) are base64 of the user name and password —
 * readable by anyone who decodes them. It remembers whether the server's last line was a 334,
 * so it must see every line outside a body in order (one mask per session). A mail's own lines
 * (the DATA body) are a body for the transcript and never reach it.
 */
export function smtpMask(): Mask {
  let secretFollows = false;
  return (line, side) => {
    if (side === "S") {
      secretFollows = line.startsWith("334");
      return line;
    }
    if (secretFollows) {
      secretFollows = false;
      return line.replace(/^.*?((\\r)?(\\n)?)$/, "******** (masked)$1");
    }
    // (Most lines are not AUTH: they are tested by their first letter only.)
    if ((line.charCodeAt(0) | 0x20) !== 0x61 /* a or A */) return line;
    return line.replace(/^(AUTH\s+\S+\s+)\S+?((\\r)?(\\n)?)$/i, "$1******** (masked)$2");
  };
}

/**
 * IMAP: before login, passwords can hide in more places than a LOGIN line: a literal on the next
 * line (LOGIN {14} … {6}), or a bare base64 line after AUTHENTICATE's "+". So before login every
 * client line is masked except the few commands that cannot carry a secret; after it, none.
 */
const maskImapLine = maskSecrets(/^\S+ LOGIN /i, /^\S+ AUTHENTICATE PLAIN /i, /^/);
export function maskLogin(line: string, side: Side, loggedIn: boolean): string {
  // "[connected from …]" is the transcript's own note, not something the client sent.
  if (side === "S" || loggedIn || /^\[|^\S+ (CAPABILITY|NOOP|LOGOUT|STARTTLS|ID)\b/i.test(line)) return line;
  return maskImapLine(line, side);
}

/** One session's mask, and (IMAP's) what it must hear: that the session has logged in. */
export interface SessionMask {
  mask: Mask;
  loggedIn?: () => void;
}

/**
 * A new mask for one session of `protocol` (as SessionOpened names it), made by whoever cuts
 * its lines; undefined for a protocol whose lines are cut where they run (FTP, HTTP: their
 * servers are not line sessions of ours, and FTP's data connections are only partly cut).
 */
export function maskFor(protocol: string): (() => SessionMask) | undefined {
  switch (protocol) {
    case "smtp":
    case "smtps":
    case "mx":
      return () => ({ mask: smtpMask() });
    case "pop3":
    case "pop3s":
      return () => ({ mask: POP3_MASK });
    case "nntp":
      return () => ({ mask: NNTP_MASK });
    case "imap":
    case "imaps":
      return () => {
        let loggedIn = false;
        return { mask: (line, side) => maskLogin(line, side, loggedIn), loggedIn: () => void (loggedIn = true) };
      };
    default:
      return undefined;
  }
}
