// What the lesson 09 and 10 specs need from the playground: a fresh mail system per check
// (its own temporary data dir, no sample mail unless asked), a way to deliver exact bytes
// over SMTP, the mailbox files as the POP3 server will send them, and a relay that can be
// cut like a dropped Wi-Fi connection.
import net from "node:net";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Network } from "../../kit/checker.ts";
import { RawLineClient } from "../../kit/raw-line-client.ts";
import { startMailSystem, type MailSystem } from "../../../servers/mail/index.ts";
import { copyTestCertificate } from "../../../servers/tls.ts";

export interface Playground {
  system: MailSystem;
  mailRoot: string;
  ca: string; // the certificate's PEM, for STARTTLS
}

/** A fresh mail system for one check, closed (and its data dir removed) when the check ends. */
export async function startPlayground(network: Pick<Network, "defer">, seed = false): Promise<Playground> {
  const dataDir = mkdtempSync(join(tmpdir(), "playground-mail-"));
  // The repository's test certificate, put where the playground looks for one: making a fresh
  // RSA key for every check would cost half a second each time.
  await copyTestCertificate(join(dataDir, "tls"));
  const system = await startMailSystem({ dataDir, seed, fsync: false, ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 } });
  network.defer(async () => {
    await system.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { system, mailRoot: join(dataDir, "mail"), ca: readFileSync(system.caFile, "utf8") };
}

/** Delivers `raw` (exact bytes, CRLF lines) to `to` through the MX, as another provider would. */
export async function deliverViaMx(playground: Playground, to: string, raw: string | Buffer): Promise<void> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: playground.system.ports.mx,
    secure: false,
    tls: { ca: playground.ca },
  });
  try {
    await transport.sendMail({ envelope: { from: "someone@example.net", to: [to] }, raw: Buffer.from(raw) });
  } finally {
    transport.close();
  }
}

/** Sends `raw` from me@example.com through the submission server (logged in), as a mail client would. */
export async function deliverViaSubmission(playground: Playground, to: string, raw: string | Buffer): Promise<void> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: playground.system.ports.submission,
    secure: false,
    auth: { user: "me@example.com", pass: "secret" },
    tls: { ca: playground.ca },
  });
  try {
    await transport.sendMail({ envelope: { from: "me@example.com", to: [to] }, raw: Buffer.from(raw) });
  } finally {
    transport.close();
  }
}

export interface StoredMessage {
  file: string;
  /** What RETR must send for it (before byte-stuffing): the file with CRLF line endings. */
  wire: Buffer;
  /** Its W= size: what LIST and STAT must say. */
  size: number;
}

/** The messages in a mailbox, as files on disk (Maildir new/ and cur/). */
export function storedMessages(playground: Playground, address: string): StoredMessage[] {
  const messages: StoredMessage[] = [];
  for (const folder of ["new", "cur"]) {
    const dir = join(playground.mailRoot, address, folder);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      const wire = Buffer.from(readFileSync(file).toString("latin1").replace(/\n/g, "\r\n"), "latin1");
      messages.push({ file, wire, size: Number(/,W=(\d+)/.exec(name)?.[1]) });
    }
  }
  return messages;
}

/**
 * A TCP relay we can cut: every connection through it is destroyed at once, the way a
 * dropped network connection ends a session — no QUIT, no goodbye.
 */
export async function cuttableRelay(network: Network, targetPort: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  network.defer(() => {
    cut();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, cut };
}

/** A raw POP3 exchange, independent of any client under test: sends `commands`, returns each status line. */
export async function rawPop3(port: number, commands: string[]): Promise<string[]> {
  // The kit's raw line client (test/kit/raw-line-client.ts) reads the lines, as lesson 15's rawImap does.
  const client = new RawLineClient(net.connect(port, "127.0.0.1"));
  const nextLine = (): Promise<string> =>
    client.line().catch(() => {
      throw new Error("the POP3 server closed the connection");
    });
  const replies: string[] = [];
  try {
    replies.push(await nextLine()); // the greeting
    for (const command of commands) {
      client.send(command);
      replies.push(await nextLine());
    }
  } finally {
    client.socket.destroy();
  }
  return replies;
}
