// Shared by the IMAP tests: an IMAP server on a fresh temp data dir, and a raw-socket client
// that shows exactly what the server sent (no library in between).

import { startImapServer, type ImapOptions } from "../../servers/mail/imap.ts";
import { forgetOpenFolders } from "../../servers/mail/mailbox-store.ts";
import { RawLineClient } from "../kit/raw-line-client.ts";
import { ME, PASSWORD, startTestMailboxServer, type TestMailboxServer } from "./mailbox-server-kit.ts";

export { ME, PASSWORD };
export type TestImap = TestMailboxServer;

/** An IMAP server on port 0 with its own data dir; stopped (and the dir removed) when the test ends. */
export function startTestImap(options: Partial<ImapOptions> = {}): Promise<TestImap> {
  return startTestMailboxServer("imap", (basics) => startImapServer({ ...basics, ...options }), forgetOpenFolders);
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
