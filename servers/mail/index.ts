// The playground's mail system: two fictional providers, so a message makes a real journey.
//
//   you (MUA) ──SMTP──▶ smtp.example.com :2525 ──SMTP──▶ mx.example.org :2526 ──▶ Maildir ◀──POP3── friend (MUA)
//                       (SMTPS :4650)        relay                                       :1110 (POP3S :9950)
//                                                                                  Maildir ◀──IMAP── friend (MUA)
//                                                                                        :1143 (IMAPS :9930)
//
// example.com is the sender's provider: its submission server takes mail from logged-in users,
// stores mail for example.com and relays mail for example.org to that domain's MX. example.org's
// MX stores what it receives in the recipient's Maildir, from where the POP3 server hands it out
// and the IMAP server shows it (the same files: one message, seen by both).
// Every listener shares one certificate (servers/tls.ts) and one mail store (maildir.ts).

import { join } from "node:path";
import type { Activity } from "../activity.ts";
import type { ConnectionCaps } from "../connection-limits.ts";
import { DEFAULT_MAIL_PORTS } from "../defaults.ts";
import { ensureCertificate } from "../tls.ts";
import { DEFAULT_MAIL_ACCOUNTS, type MailAccount } from "./accounts.ts";
import { ensureMaildir, removeTmpLeftovers, seedMailboxes } from "./maildir.ts";
import { startImapServer } from "./imap.ts";
import { startPop3Server } from "./pop3.ts";
import { startSmtpServer } from "./smtp.ts";

export interface MailPorts {
  submission: number;
  mx: number;
  smtps: number;
  pop3: number;
  pop3s: number;
  imap: number;
  imaps: number;
}

// 2525, 2526, 4650, 1110, 9950, 1143, 9930 (kept in ../defaults.ts, which npm start's main thread reads)
export { DEFAULT_MAIL_PORTS };

/** The sender's provider (it has the submission server) and the recipient's (it has the MX). */
const SENDER_DOMAIN = "example.com";
const RECIPIENT_DOMAIN = "example.org";

export interface MailSystemOptions {
  /** Default 127.0.0.1. On any other address, AUTH and POP3 login need STARTTLS/STLS first. */
  host?: string;
  /** Mail in <dataDir>/mail, the certificate in <dataDir>/tls. */
  dataDir: string;
  accounts?: MailAccount[];
  /** Every port, or none for the defaults 2525/2526/4650/1110/9950/1143/9930; 0 = any free port (tests). All or nothing, so that a caller that forgets one new server does not take its fixed port. */
  ports?: MailPorts;
  /** Default 10 MB. */
  maxMessageBytes?: number;
  /** Default true: fill a fresh data dir with sample mail. */
  seed?: boolean;
  /** Default true: flush every delivered message to disk (see maildir.ts). */
  fsync?: boolean;
  /** Live C:/S: transcripts of every session (npm start -- --trace). */
  trace?: (line: string) => void;
  /** Sessions and stored items, for the console (servers/activity.ts); fire-and-forget. */
  activity?: Activity;
  /** SMTP connections at once per listener, per client address and in total (default 200 and 1,000). */
  smtpConnectionCaps?: Partial<ConnectionCaps>;
  /** Bytes of messages each SMTP listener may hold in memory at once (default 256 MB); past it, 452. */
  smtpMaxBytesInMemory?: number;
  /** How long the relay keeps an idle connection to the MX before it says QUIT (default 10 s). */
  relayIdleMs?: number;
  /** Default true: the IMAP servers offer RFC 6851 MOVE; false plays an older server (lesson 16). */
  imapMove?: boolean;
}

export interface MailSystem {
  ports: MailPorts;
  /** The certificate file a client must trust for STARTTLS, SMTPS, STLS, POP3S and IMAPS. */
  caFile: string;
  close(): Promise<void>;
}

export async function startMailSystem(options: MailSystemOptions): Promise<MailSystem> {
  const host = options.host ?? "127.0.0.1";
  const wanted = { ...DEFAULT_MAIL_PORTS, ...options.ports };
  const accounts = options.accounts ?? DEFAULT_MAIL_ACCOUNTS;
  const tls = await ensureCertificate(options.dataDir);
  const mailRoot = join(options.dataDir, "mail");
  // Messages a crash left half-written in a tmp/ folder were never delivered: remove them.
  await removeTmpLeftovers(mailRoot);
  if (options.seed ?? true) await seedMailboxes(mailRoot);
  for (const { address } of accounts) await ensureMaildir(mailRoot, address);

  const common = {
    host,
    tls,
    mailRoot,
    accounts,
    maxMessageBytes: options.maxMessageBytes ?? 10 * 1024 * 1024,
    fsync: options.fsync,
    trace: options.trace,
    activity: options.activity,
  };
  const started: { close(): Promise<void> }[] = [];
  const start = async <T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> => {
    const running = await server;
    started.push(running);
    return running;
  };
  try {
    // The MX first: the submission server must know where example.org's mail goes. On the
    // internet it would ask DNS for example.org's MX record; here this table is the DNS.
    const mx = await start(startSmtpServer({ ...common, role: "mx", connectionCaps: options.smtpConnectionCaps, maxBytesInMemory: options.smtpMaxBytesInMemory, port: wanted.mx, serverName: `mx.${RECIPIENT_DOMAIN}`, localDomain: RECIPIENT_DOMAIN }));
    const submissionOptions = {
      ...common,
      role: "submission" as const,
      connectionCaps: options.smtpConnectionCaps,
      maxBytesInMemory: options.smtpMaxBytesInMemory,
      serverName: `smtp.${SENDER_DOMAIN}`,
      localDomain: SENDER_DOMAIN,
      mxRoutes: { [RECIPIENT_DOMAIN]: { host: reachable(host), port: mx.port, serverName: `mx.${RECIPIENT_DOMAIN}` } },
      relayCa: tls.cert,
      relayIdleMs: options.relayIdleMs,
    };
    const submission = await start(startSmtpServer({ ...submissionOptions, port: wanted.submission }));
    const smtps = await start(startSmtpServer({ ...submissionOptions, port: wanted.smtps, implicitTls: true }));
    const pop3 = await start(startPop3Server({ ...common, port: wanted.pop3 }));
    const pop3s = await start(startPop3Server({ ...common, port: wanted.pop3s, implicitTls: true }));
    const imap = await start(startImapServer({ ...common, move: options.imapMove, port: wanted.imap }));
    const imaps = await start(startImapServer({ ...common, move: options.imapMove, port: wanted.imaps, implicitTls: true }));
    return {
      ports: { submission: submission.port, mx: mx.port, smtps: smtps.port, pop3: pop3.port, pop3s: pop3s.port, imap: imap.port, imaps: imaps.port },
      caFile: tls.caFile,
      close: async () => {
        await Promise.all(started.map((server) => server.close()));
      },
    };
  } catch (err) {
    // A port was busy (or similar): stop what already runs, then report the original error.
    await Promise.allSettled(started.map((server) => server.close()));
    throw err;
  }
}

/** Where to connect to reach a server listening on `host` ("any address" is reachable on loopback). */
function reachable(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}
