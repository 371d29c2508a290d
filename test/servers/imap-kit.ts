// Shared by the IMAP tests: an IMAP server on a fresh temp data dir, and a raw-socket client
// that shows exactly what the server sent (no library in between).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { DEFAULT_MAIL_ACCOUNTS } from "../../servers/mail/accounts.ts";
import { startImapServer, type ImapOptions } from "../../servers/mail/imap.ts";
import { forgetOpenFolders } from "../../servers/mail/mailbox-store.ts";
import { deliver } from "../../servers/mail/maildir.ts";
import { copyTestCertificate, ensureCertificate } from "../../servers/tls.ts";
import { RawLineClient } from "../kit/raw-line-client.ts";

export const ME = "me@example.com";
export const PASSWORD = "secret";

export interface TestImap {
  port: number;
  dataDir: string;
  mailRoot: string;
  caFile: string;
  ca: string;
  trace: string[];
  deliver(message: string | Buffer, address?: string): Promise<string>;
  close(): Promise<void>;
}

/** An IMAP server on port 0 with its own data dir; stopped (and the dir removed) when the test ends. */
export async function startTestImap(options: Partial<ImapOptions> = {}): Promise<TestImap> {
  const dataDir = await mkdtemp(join(tmpdir(), "imap-test-"));
  const mailRoot = join(dataDir, "mail");
  await copyTestCertificate(join(dataDir, "tls"));
  const certificate = await ensureCertificate(dataDir);
  const trace: string[] = [];
  const server = await startImapServer({
    host: "127.0.0.1",
    port: 0,
    tls: certificate,
    mailRoot,
    accounts: DEFAULT_MAIL_ACCOUNTS,
    failedLoginDelayMs: 10,
    trace: (line) => trace.push(line),
    ...options,
  });
  const close = async () => {
    await server.close();
    forgetOpenFolders();
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

/** A raw IMAP client: send a tagged command, collect the lines up to its tagged answer. */
export class RawImap extends RawLineClient {
  private next = 1;

  static async connect(port: number, options: { tls?: { ca: string } } = {}): Promise<RawImap> {
    const client = new RawImap(await RawLineClient.socketTo(port, options.tls?.ca));
    return client;
  }

  /** Connects, reads the greeting, logs in. */
  static async login(port: number, user = ME, password = PASSWORD): Promise<RawImap> {
    const client = await RawImap.connect(port);
    await client.line();
    const answer = await client.run(`LOGIN ${user} ${password}`);
    if (!/^T\d+ OK/.test(answer.at(-1)!)) throw new Error(`login failed: ${answer.join("\n")}`);
    return client;
  }

  /** Sends "T<n> text" and returns every line up to and including the tagged answer. */
  async run(text: string): Promise<string[]> {
    const tag = `T${this.next++}`;
    this.send(`${tag} ${text}`);
    return this.until(tag);
  }

  /** Lines up to and including the one that starts with `tag `. */
  async until(tag: string): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      lines.push(line);
      if (line.startsWith(`${tag} `)) return lines;
    }
  }

  /** The tag the next run() will use. */
  get nextTag(): string {
    return `T${this.next}`;
  }
}
