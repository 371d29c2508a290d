// What the recording relays of lessons 07, 09-10 and 15 share (smtp-wire.ts, pop3-wire.ts,
// imap-wire.ts): a relay stands between the learner's client and a playground server,
//
//   the learner's client ──▶ relay (records and judges) ──▶ the check's network ──▶ server
//
// passes every byte on, and holds the client to the protocol's rules whatever the server
// tolerates. Each protocol's file holds its rules; this file holds the plumbing they all need:
//   - listenRelay: a listener on a free port that connects each client on to the server;
//   - RelaySession: one connection's numbered wire lines ("C: EHLO localhost\r\n"), how a
//     broken rule becomes a message with the conversation up to it and ends the connection, and
//     the moment the client is gone (to judge how it left);
//   - WireRelay: every session, the first broken rule (it fails the check), step(), close().

import net from "node:net";
import { escapeBytes } from "../../servers/transcript.ts";

/** A rule of the conversation that the client broke (not an error of the client's own). */
export class WireMistake extends Error {}

/**
 * Listens on `host` (a free port); each client that connects gets its own connection on to the
 * server at 127.0.0.1:`targetPort`, and both sockets go to `connected` (which relays and judges).
 */
export async function listenRelay(targetPort: number, host: string, connected: (client: net.Socket, upstream: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.setNoDelay(true); // pass every piece on at once, as it came
    upstream.setNoDelay(true);
    connected(client, upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  return server;
}

/** One connection through a relay: its wire lines, and the end of it at the first broken rule. */
export class RelaySession {
  /** Numbered like a transcript: "C: EHLO localhost\r\n", "S: 250 Accepted\r\n". */
  readonly wire: string[] = [];
  /** The client's socket has closed (see whenClientGone). */
  closed = false;
  /** Resolves when the client's socket has closed (see whenClientGone). */
  readonly ended: Promise<void>;
  private markEnded = () => {};

  constructor(
    protected readonly client: net.Socket,
    protected readonly upstream: net.Socket,
    private readonly mistake: (err: WireMistake) => void,
    /** Whose view the excerpt of a message shows: "your client" or "the relay". */
    private readonly seenBy = "your client",
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /**
   * Calls `judge` once when the client is gone — its FIN ('end'), a reset ('error') or its socket
   * closed ('close'), whichever comes first — and closes the server's side after it.
   */
  protected whenClientGone(judge: () => void): void {
    let judged = false;
    const gone = () => {
      if (judged) return;
      judged = true;
      judge();
    };
    this.client.on("end", gone);
    this.client.on("error", () => {
      gone();
      this.upstream.destroy();
    });
    this.client.on("close", () => {
      gone();
      this.upstream.destroy();
      this.closed = true;
      this.markEnded();
    });
  }

  /** Runs one judgement; a broken rule is reported and ends the connection. */
  protected judge(step: () => void): void {
    try {
      step();
    } catch (err) {
      if (!(err instanceof WireMistake)) throw err;
      this.mistake(err);
      this.destroy();
    }
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Adds a wire line and returns its number. */
  protected show(side: "C" | "S", raw: Buffer): number {
    this.wire.push(`${side}: ${escapeBytes(raw)}`);
    return this.wire.length;
  }

  /** A broken rule, with the conversation up to wire line `line`. */
  protected broken(text: string, line = this.wire.length): WireMistake {
    return new WireMistake(`${text}${this.excerpt(line)}`);
  }

  /** The last few numbered wire lines up to `line`, for a message. */
  excerpt(line: number): string {
    if (line === 0) return "";
    const from = Math.max(1, line - 6);
    const shown = this.wire.slice(from - 1, line).map((text, i) => `  ${String(from + i).padStart(3)} ${text}`);
    return `\nThe conversation at that point, as ${this.seenBy} saw it (lines ${from}–${line}):\n${shown.join("\n")}`;
  }
}

/** A relay's listener and sessions; the first broken rule of any session fails the check. */
export class WireRelay<S extends RelaySession> {
  protected readonly all: S[] = [];
  protected failed: WireMistake | null = null;
  protected onMistake: ((err: WireMistake) => void) | null = null;

  protected constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** The first broken rule fails the check (later ones follow from it). */
  protected mistake(err: WireMistake): void {
    if (this.failed) return;
    this.failed = err;
    this.onMistake?.(err);
  }

  /**
   * Runs one step of the learner's client (`client.login(…)`, `client.retr(1)`…): its result,
   * unless the client broke a rule of the conversation first — then that fails the check.
   */
  async step<T>(doing: Promise<T>): Promise<T> {
    if (this.failed) throw this.failed;
    const broken = new Promise<never>((_, reject) => (this.onMistake = reject));
    doing.catch(() => {}); // if a mistake wins the race, the client's own failure comes later
    try {
      return await Promise.race([doing, broken]);
    } finally {
      this.onMistake = null;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const session of this.all) session.destroy();
    });
  }
}

/**
 * What a step of the client did within `ms` after its connection was cut: "resolved", its
 * rejection's reason, or "waiting" — a client that waits for ever for the rest of an answer.
 */
export async function outcomeWithin(doing: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    doing.then(
      () => "resolved" as const,
      (err: unknown) => err,
    ),
    new Promise<"waiting">((resolve) => (timer = setTimeout(() => resolve("waiting"), ms))),
  ]).finally(() => clearTimeout(timer));
}
