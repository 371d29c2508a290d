// Shared by the mail-*.test.ts files: a playground mail system in a fresh temp dir, a tiny raw
// SMTP client (to say exactly the bytes a test wants, hostile ones included) and Maildir listings.

import net from "node:net";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMailSystem, type MailSystem, type MailSystemOptions } from "../../servers/mail/index.ts";
import { copyTestCertificate } from "../../servers/tls.ts";

export const ANY_PORTS = { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 };

export interface TestMail extends MailSystem {
  dataDir: string;
  mailRoot: string;
  /** Every trace line so far (trace is always on in tests: it must never break anything). */
  trace: string[];
}

/** Starts the whole mail system on free ports in a new temp dir; `stop()` closes it and deletes the dir. */
export async function startTestMail(options: Partial<MailSystemOptions> = {}): Promise<TestMail & { stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "mail-test-"));
  await copyTestCertificate(join(dataDir, "tls")); // instead of a new openssl key per test
  const trace: string[] = [];
  const system = await startMailSystem({ dataDir, ports: ANY_PORTS, trace: (line) => trace.push(line), ...options });
  return {
    ...system,
    dataDir,
    mailRoot: join(dataDir, "mail"),
    trace,
    async stop() {
      await system.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** File names in one Maildir sub-folder ("new", "cur" or "tmp"). */
export async function maildirFiles(mailRoot: string, address: string, folder: "new" | "cur" | "tmp" = "new"): Promise<string[]> {
  return (await readdir(join(mailRoot, address, folder))).sort();
}

/** The contents of every message in new/ whose text contains `marker`. */
export async function findMessages(mailRoot: string, address: string, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await maildirFiles(mailRoot, address)) {
    const text = await readFile(join(mailRoot, address, "new", name), "utf8");
    if (text.includes(marker)) found.push(text);
  }
  return found;
}

/** A raw SMTP client: `await c.command("EHLO x")` sends one line and resolves with the whole reply. */
export class RawSmtp {
  private buffer = "";
  private waiting: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      this.buffer += text;
      this.waiting?.();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  /** `localAddress`: connect from another loopback address (127.0.0.2 …), as another client would. */
  static async connect(port: number, localAddress?: string, host = "127.0.0.1"): Promise<RawSmtp> {
    const socket = net.connect({ port, host, localAddress });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawSmtp(socket);
  }

  /** The next complete reply (all its lines), e.g. "250-a\r\n250 b\r\n"; "" if the server closed. */
  async reply(): Promise<string> {
    for (;;) {
      // A reply ends with a line whose 4th character is a space: "250 OK\r\n" (RFC 5321 §4.2.1).
      const end = /^\d{3}(?: [^\n]*)?\r\n/m.exec(this.buffer);
      if (end) {
        const length = end.index + end[0].length;
        const reply = this.buffer.slice(0, length);
        this.buffer = this.buffer.slice(length);
        return reply;
      }
      if (this.closed) return "";
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Greeting, EHLO, AUTH PLAIN as `address`. */
  async login(address = "me@example.com", password = "secret"): Promise<void> {
    await expectCode(this.reply(), 220);
    await expectCode(this.command("EHLO test.client"), 250);
    await expectCode(this.command(`AUTH PLAIN ${Buffer.from(`\0${address}\0${password}`).toString("base64")}`), 235);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves with the reply if it starts with `code`, else fails with the reply in the message. */
export async function expectCode(reply: Promise<string> | string, code: number): Promise<string> {
  const text = await reply;
  if (!text.startsWith(String(code))) throw new Error(`expected a ${code} reply, got ${JSON.stringify(text)}`);
  return text;
}

/** A minimal message with a unique marker in its subject, CRLF line endings. */
export function testMessage(marker: string, from = "me@example.com", to = "friend@example.org", body = "Hello from a test.\r\n"): string {
  return `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${marker}\r\nMessage-ID: <${marker}@test>\r\n\r\n${body}`;
}
