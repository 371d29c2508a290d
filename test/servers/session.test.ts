// The session layer (servers/session.ts) on its own, with a toy protocol made for the test:
// what POP3 and NNTP do not use yet but IMAP needs — a literal of exactly N bytes after a line
// ending in {N} (with a "+" continuation first), and untagged lines pushed from outside the
// command loop that never land inside a response being streamed.

import type net from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import { maskSecrets } from "../../servers/masks.ts";
import { LineSession, serve, type SessionSettings } from "../../servers/session.ts";
import { RawLineClient } from "../kit/raw-line-client.ts";

const SETTINGS: SessionSettings = {
  traceAs: "toy #",
  maxLineLength: 100,
  idleTimeoutMs: 60_000,
  secureContext: null,
  requireTlsForLogin: false,
  failedLoginDelayMs: 0,
  maxFailedLogins: 3,
  mask: maskSecrets(/^\S+ LOGIN \S+ /i),
};

/**
 * "tag ECHO {n}" → "+ go ahead", n raw bytes, then the rest of the line; "tag BIG n" → n untagged
 * lines in one response; "tag LINES [broken]" → a dot-stuffed block of lines (sendLines).
 */
class ToySession extends LineSession {
  static sessions: ToySession[] = [];
  /** BIG stops halfway until the test calls goOn(): the moment "another session" pushes a line. */
  goOn!: () => void;
  private readonly halfway = new Promise<void>((resolve) => (this.goOn = resolve));

  constructor(socket: net.Socket, settings: SessionSettings) {
    super(socket, settings);
    ToySession.sessions.push(this);
  }

  protected greeting(): string {
    return "* OK toy ready";
  }

  protected lineTooLongReply(): string {
    return "* BAD line too long";
  }

  protected idleReply(): string {
    return "* BYE idle";
  }

  protected async handleLine(line: string): Promise<void> {
    const [tag, command, argument] = line.split(" ");
    if (command === "ECHO") {
      const literal = /^\{(\d+)\}$/.exec(argument ?? "");
      if (!literal) return this.reply(`${tag} BAD usage`);
      this.reply("+ go ahead");
      const bytes = await this.readBytes(Number(literal[1]));
      const rest = await this.readLine();
      if (bytes === null || rest === null) return;
      await this.write(`* ECHO {${bytes.length}}\r\n`);
      await this.write(bytes);
      return this.reply(`${rest} ${tag} OK`);
    }
    if (command === "BIG") {
      await this.uninterrupted(async () => {
        for (let i = 0; i < Number(argument); i++) {
          if (i === Number(argument) / 2) await this.halfway;
          await this.write(`* DATA ${i}\r\n`);
        }
      });
      return this.reply(`${tag} OK`);
    }
    if (command === "LINES") {
      const lines = argument === "broken" ? ["a", "b\n.", "c"] : ["a", ".b", "..", "c"];
      return this.sendLines(`${tag} OK lines follow`, lines);
    }
    this.reply(`${tag} BAD unknown command`);
  }
}

async function startToy(trace?: string[]) {
  const server = await serve({
    host: "127.0.0.1",
    port: 0,
    tooManyConnections: "* BYE too many connections",
    label: "toy",
    startSession: (socket) => new ToySession(socket, { ...SETTINGS, trace: trace && ((line) => trace.push(line)) }),
  });
  onTestFinished(() => server.close());
  const client = new RawLineClient(await RawLineClient.socketTo(server.port));
  expect(await client.line()).toBe("* OK toy ready");
  return { client, session: ToySession.sessions.at(-1)! };
}

describe("session layer", () => {
  test("a literal: {n} at the end of a line, '+', exactly n raw bytes (CRLF inside), then the rest of the command", async () => {
    const { client } = await startToy();
    client.send("A1 ECHO {7}");
    expect(await client.line()).toBe("+ go ahead");
    // The literal holds a CRLF and what looks like a command: it must not be read as lines.
    client.socket.write("ab\r\nA2 X rest-of-line\r\n");
    expect(await client.line()).toBe("* ECHO {7}");
    expect(await client.line()).toBe("ab");
    expect(await client.line()).toBe("A2 X rest-of-line A1 OK");
    // A non-synchronizing literal (LITERAL+): all in one write, before the server asked.
    client.socket.write("B1 ECHO {3}\r\n123 tail\r\nB2 NOPE\r\n");
    expect(await client.line()).toBe("+ go ahead");
    expect(await client.line()).toBe("* ECHO {3}");
    expect(await client.line()).toBe("123 tail B1 OK");
    expect(await client.line()).toBe("B2 BAD unknown command");
  });

  test("push(): a line from outside the command loop waits for the response being streamed, then comes at once", async () => {
    const { client, session } = await startToy();
    client.send("A1 BIG 100");
    expect(await client.line()).toBe("* DATA 0");
    session.push("* 5 EXISTS"); // "another session delivered mail" while the response is half sent
    session.goOn();
    const lines: string[] = [];
    for (let line = await client.line(); !line.startsWith("A1 "); line = await client.line()) lines.push(line);
    expect(lines.length).toBe(99 + 1);
    expect(lines.indexOf("* 5 EXISTS")).toBe(99); // after the last DATA line, before the tagged OK
    session.push("* 6 EXISTS"); // nothing streamed now: sent at once
    expect(await client.line()).toBe("* 6 EXISTS");
  });

  test("sendLines: a line starting with '.' is stuffed; a line with a line break inside cannot end the block early", async () => {
    const { client } = await startToy();
    expect(await client.command("A1 LINES")).toBe("A1 OK lines follow");
    expect((await client.blockBytes()).toString()).toBe("a\r\n.b\r\n..\r\nc\r\n");
    expect(await client.command("A2 LINES broken")).toBe("A2 OK lines follow");
    // "b\n." is two lines, "b" and "." — stuffed to "..", so it is not the end of the block.
    expect((await client.blockBytes()).toString()).toBe("a\r\nb\r\n.\r\nc\r\n");
    expect(await client.command("A3 NOPE")).toBe("A3 BAD unknown command");
  });

  test("the transcript masks what maskSecrets names, and the line limit answers with the protocol's own words", async () => {
    const trace: string[] = [];
    const { client } = await startToy(trace);
    client.send("A1 LOGIN me secret");
    expect(await client.line()).toBe("A1 BAD unknown command");
    client.send("A2 " + "y".repeat(200));
    expect(await client.line()).toBe("* BAD line too long");
    expect(trace.join("\n")).toMatch(/^toy #\d+ C: A1 LOGIN me \*\*\*\*\\r\\n$/m);
    expect(trace.join("\n")).not.toContain("secret");
  });
});
