// Shared by the POP3 tests: a POP3 server on a fresh temp data dir, and a raw-socket client
// that shows exactly what the server sent (no library in between).

import { RawLineClient } from "../kit/raw-line-client.ts";
import { startPop3Server, type Pop3Options } from "../../servers/mail/pop3.ts";
import { ME, PASSWORD, startTestMailboxServer, type TestMailboxServer } from "./mailbox-server-kit.ts";

export { ME, PASSWORD };
export type TestPop3 = TestMailboxServer;

/** A POP3 server on port 0 with its own data dir; stopped (and the dir removed) when the test ends. */
export function startTestPop3(options: Partial<Pop3Options> = {}): Promise<TestPop3> {
  return startTestMailboxServer("pop3", (basics) => startPop3Server({ ...basics, ...options }));
}

/** A raw POP3 client (test/kit/raw-line-client.ts) with POP3's login steps. */
export class RawClient extends RawLineClient {
  static async connect(port: number, options: { tls?: { ca: string }; from?: string } = {}): Promise<RawClient> {
    return new RawClient(await RawLineClient.socketTo(port, options.tls?.ca, options.from));
  }

  /** Connects, reads the greeting, logs in with USER/PASS. */
  static async login(port: number, user = ME, password = PASSWORD): Promise<RawClient> {
    const client = await RawClient.connect(port);
    await client.line();
    expectOk(await client.command(`USER ${user}`));
    expectOk(await client.command(`PASS ${password}`));
    return client;
  }

  /**
   * Logs in after another client vanished: the server notices a vanished client only when
   * its FIN or RST arrives, so for a moment the maildrop may still be locked ([IN-USE]).
   */
  static async loginAfterDrop(port: number): Promise<RawClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await RawClient.connect(port);
      await client.line();
      expectOk(await client.command(`USER ${ME}`));
      const reply = await client.command(`PASS ${PASSWORD}`);
      if (reply.startsWith("+OK")) return client;
      client.socket.destroy();
      if (!reply.startsWith("-ERR [IN-USE]") || attempt === 50) throw new Error(`login failed: ${reply}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The dot-stuffed block after a +OK line, unstuffed (CRLF line endings). */
  async block(): Promise<string> {
    return (await this.blockBytes()).toString("utf8");
  }
}

export function expectOk(line: string): string {
  if (!line.startsWith("+OK")) throw new Error(`expected +OK, got: ${line}`);
  return line;
}

/** A small message in the LF form Maildir stores (as a mail client would send it). */
export function sampleMessage(subject: string, body: string): string {
  return `From: friend@example.org\nTo: me@example.com\nSubject: ${subject}\nMessage-ID: <${subject.replace(/\W/g, "")}@example.org>\n\n${body}`;
}
