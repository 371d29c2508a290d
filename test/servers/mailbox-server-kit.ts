// What the POP3 and IMAP tests share: one of the two servers on port 0, with a fresh temp data
// dir, the committed test certificate and the demo accounts — stopped (and the dir removed) when
// the test ends.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { DEFAULT_MAIL_ACCOUNTS, type MailAccount } from "../../servers/mail/accounts.ts";
import { deliver } from "../../servers/mail/maildir.ts";
import { copyTestCertificate, ensureCertificate } from "../../servers/tls.ts";

export const ME = "me@example.com";
export const PASSWORD = "secret";

export interface TestMailboxServer {
  port: number;
  dataDir: string;
  mailRoot: string;
  caFile: string;
  ca: string;
  trace: string[];
  deliver(message: string | Buffer, address?: string): Promise<string>;
  close(): Promise<void>;
}

/** The options both servers take; each kit adds its test's own on top. */
export interface MailboxServerBasics {
  host: string;
  port: number;
  tls: { key: string; cert: string };
  mailRoot: string;
  accounts: MailAccount[];
  failedLoginDelayMs: number;
  trace: (line: string) => void;
}

/** Starts the server `start` makes from the basics; `afterClose` forgets what it kept in memory. */
export async function startTestMailboxServer(
  name: string,
  start: (basics: MailboxServerBasics) => Promise<{ port: number; close(): Promise<void> }>,
  afterClose: () => void = () => {},
): Promise<TestMailboxServer> {
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-test-`));
  const mailRoot = join(dataDir, "mail");
  await copyTestCertificate(join(dataDir, "tls")); // instead of a new openssl key per test
  const certificate = await ensureCertificate(dataDir);
  const trace: string[] = [];
  const server = await start({
    host: "127.0.0.1",
    port: 0,
    tls: certificate,
    mailRoot,
    accounts: DEFAULT_MAIL_ACCOUNTS,
    failedLoginDelayMs: 10,
    trace: (line) => trace.push(line),
  });
  const close = async () => {
    await server.close();
    afterClose();
    await rm(dataDir, { recursive: true, force: true });
  };
  onTestFinished(close);
  return {
    port: server.port,
    dataDir,
    mailRoot,
    caFile: certificate.caFile,
    ca: certificate.cert,
    trace,
    deliver: (message, address = ME) => deliver(mailRoot, address, Buffer.from(message), { fsync: false }),
    close,
  };
}
