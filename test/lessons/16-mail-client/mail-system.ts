// What the lesson 16 spec needs from the playground: a fresh mail system per check (with or
// without RFC 6851 MOVE), mail delivered into me@example.com's INBOX the way any mail arrives
// (SMTP submission), a second IMAP client that changes the mailbox behind the learner's back
// (a raw one, independent of imapflow), the Maildir files, and every IMAP command a client sent
// (the server's own trace: it sees inside STARTTLS, which a relay in between could not).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Network } from "../../kit/checker.ts";
import { RawImap } from "../../servers/imap-kit.ts";
import { startTestMail } from "../../servers/mail-kit.ts";
import type { MailboxOptions, SmtpOptions } from "../../../lessons/16-mail-client/solution.ts";

export const ME = "me@example.com";
export const FRIEND = "friend@example.org";

export interface TestMailSystem {
  ports: { submission: number; pop3: number; imap: number };
  ca: string;
  mailRoot: string;
  /** Every C: and S: line the servers saw ("imap #3 C: 7 UID MOVE 4 Trash\r\n"). */
  trace: string[];
  /** Delivers one message (CRLF lines) into me@example.com's INBOX; resolves once it is stored. */
  deliver(raw: string | Buffer): Promise<void>;
  /** A second IMAP session on me@example.com's INBOX, logged in and SELECTed (plain, on loopback). */
  otherClient(): Promise<RawImap>;
  /** The message files of one of `address`'s folders ("" is INBOX, ".Trash" is Trash). */
  files(address: string, folder?: string): { name: string; content: Buffer }[];
  /** Where the learner's code connects: through `network` when there is one. */
  mailbox(protocol: "imap" | "pop3", network: Network | null): Promise<MailboxOptions>;
  smtp(network: Network | null): Promise<SmtpOptions>;
}

export async function startMail(network: Pick<Network, "defer">, options: { move?: boolean } = {}): Promise<TestMailSystem> {
  const mail = await startTestMail({ seed: false, fsync: false, imapMove: options.move ?? true });
  network.defer(() => mail.stop());
  const ca = readFileSync(mail.caFile, "utf8");
  const files = (address: string, folder = "") => {
    const found: { name: string; content: Buffer }[] = [];
    for (const sub of ["new", "cur"]) {
      let names: string[] = [];
      try {
        names = readdirSync(join(mail.mailRoot, address, folder, sub));
      } catch {
        continue;
      }
      for (const name of names) found.push({ name, content: readFileSync(join(mail.mailRoot, address, folder, sub, name)) });
    }
    return found;
  };
  const through = (port: number, network: Network | null) => (network ? network.tcp(port) : Promise.resolve(port));
  return {
    ports: mail.ports,
    ca,
    mailRoot: mail.mailRoot,
    trace: mail.trace,
    async deliver(raw) {
      const before = files(ME).length;
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: mail.ports.submission,
        secure: false,
        auth: { user: ME, pass: "secret" },
        tls: { ca, servername: "localhost" },
      });
      try {
        await transport.sendMail({ envelope: { from: ME, to: [ME] }, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw) });
      } finally {
        transport.close();
      }
      if (files(ME).length !== before + 1) throw new Error("(spec) the delivered message is not in the Maildir");
    },
    async otherClient() {
      const client = await RawImap.login(mail.ports.imap);
      await client.run("SELECT INBOX");
      return client;
    },
    files,
    async mailbox(protocol, network) {
      const port = protocol === "imap" ? mail.ports.imap : mail.ports.pop3;
      return { protocol, host: "127.0.0.1", port: await through(port, network), user: ME, password: "secret", ca };
    },
    async smtp(network) {
      return { host: "127.0.0.1", port: await through(mail.ports.submission, network), user: ME, password: "secret", ca };
    },
  };
}

/** A message as another mail program would write it: CRLF lines, the headers given, then the body. */
export function message(headers: Record<string, string>, body: string | Buffer = "Hello.\r\n"): Buffer {
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

/** The UIDs in a folder, as a raw IMAP session sees them (UID SEARCH ALL). */
export async function uidsIn(client: RawImap, folder = "INBOX"): Promise<number[]> {
  await client.run(`EXAMINE ${folder}`);
  const search = (await client.run("UID SEARCH ALL")).find((line) => line.startsWith("* SEARCH"));
  await client.run("SELECT INBOX");
  return (search ?? "* SEARCH").split(" ").slice(2).map(Number);
}

/** The IMAP commands the code under test sent, in order, without their tags ("UID MOVE 4 Trash"). */
export function imapCommands(trace: string[]): string[] {
  return trace
    .map((line) => /^imap #\d+ C: (\S+) (.*?)(?:\\r\\n)?$/.exec(line))
    .filter((match) => match !== null && !/^T\d+$/.test(match[1]!)) // T1, T2 …: otherClient()'s tags
    .map((match) => match![2]!);
}
