// Shared by the console's live-sessions tests (console-api, console-browser): the playground's
// servers on free ports in a temp dir, each reporting to one real console (servers/console/),
// which an HTTP server on a free port serves.

import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole, type Console, type ConsoleOptions } from "../../servers/console/index.ts";
import { startFtpServer } from "../../servers/ftp/server.ts";
import { startHttpDemo } from "../../servers/http-demo.ts";
import { startMailSystem, type MailSystem } from "../../servers/mail/index.ts";
import { startNewsServer } from "../../servers/news/index.ts";
import { copyTestCertificate, ensureCertificate } from "../../servers/tls.ts";
import type { KeptLine, SessionSummary } from "../../servers/console/sessions.ts";

export interface TestConsole {
  console: Console;
  /** The servers' data dir (ftp/pub, ftp/home/<user>, mail/ …). */
  dataDir: string;
  /** http://127.0.0.1:PORT — the HTTP demo server with the console mounted at /console/. */
  base: string;
  httpPort: number;
  mail: MailSystem;
  ftpPort: number;
  nntpPort: number;
  trace: string[];
  stop(): Promise<void>;
}

const ANY_PORTS = { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 };

/** Every playground server, reporting to a console with `options` (default: open, as on loopback). */
export async function startTestConsole(options: ConsoleOptions = {}): Promise<TestConsole> {
  const dataDir = await mkdtemp(join(tmpdir(), "console-test-"));
  await copyTestCertificate(join(dataDir, "tls"));
  const trace: string[] = [];
  const verify = (user: string, password: string) =>
    password === "secret" && ["me@example.com", "friend@example.org", "me"].includes(user) ? user : null;
  const console_ = createConsole({ dataDir }, { verify, ...options });
  const activity = console_.activity;
  const http = await startHttpDemo(0, "127.0.0.1", undefined, {}, console_.handle, activity);
  const mail = await startMailSystem({ dataDir, ports: ANY_PORTS, activity, trace: (line) => trace.push(line) });
  const { key, cert } = await ensureCertificate(dataDir);
  const ftp = await startFtpServer({ port: 0, dataDir, bigFileBytes: 100_000, activity, tls: { key, cert } });
  const news = await startNewsServer({ port: 0, dataDir, activity, tls: { key, cert } });
  return {
    console: console_,
    dataDir,
    base: `http://127.0.0.1:${http.port}`,
    httpPort: http.port,
    mail,
    ftpPort: ftp.port,
    nntpPort: news.port,
    trace,
    async stop() {
      http.server.closeAllConnections();
      await new Promise((resolve) => http.server.close(resolve));
      await Promise.all([mail.close(), ftp.close(), news.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** GET a JSON path of the console's API. */
export async function getJson<T = unknown>(base: string, path: string, cookie?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(base + path, { headers: cookie ? { cookie } : {} });
  return { status: response.status, body: (await response.json()) as T };
}

/** Waits until `find` returns something, polling; throws after `ms` with what there was. */
export async function eventually<T>(find: () => Promise<T | undefined> | T | undefined, ms = 5_000, what = "it"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The newest session of `protocol` that is over (ended), from the API. */
export async function closedSession(base: string, protocol: string, cookie?: string): Promise<SessionSummary> {
  return eventually(async () => {
    const { body } = await getJson<{ sessions: SessionSummary[] }>(base, `/console/api/sessions?protocol=${protocol}`, cookie);
    return body.sessions.find((session) => session.ended !== undefined);
  }, 8_000, `a closed ${protocol} session`);
}

/** A streamed line, as a "lines" event carries it (README: GET /console/api/events), with its session's id. */
export type StreamedLine = KeptLine & { id: string };

/**
 * The lines of an event stream's text, in order: each "lines" event (a block: line i is line
 * n + i of its session) made into one object per line, the fields a session's own lines have.
 */
export function streamedLines(stream: string): StreamedLine[] {
  const lines: StreamedLine[] = [];
  for (const match of stream.matchAll(/event: lines\ndata: (.*)\n\n/g)) {
    const block = JSON.parse(match[1]!) as { id: string; at: string; n: number; sides: string; folds: string; texts: string[]; bytes: number[] };
    if (block.texts.length !== block.sides.length || block.bytes.length !== block.sides.length || block.folds.length !== block.sides.length) {
      throw new Error(`a "lines" event whose lists differ in length: ${match[1]}`);
    }
    for (let i = 0; i < block.sides.length; i++) {
      const line = { id: block.id, side: block.sides[i], text: block.texts[i], bytes: block.bytes[i], at: block.at, n: block.n + i } as StreamedLine;
      if (block.folds[i] === "s") line.fold = "summary";
      lines.push(line);
    }
  }
  return lines;
}

/**
 * A response the console's API handlers can write to without a socket (handleSessionsApi): all
 * it is given, as text, in `body`. With fakeRequest(), for tests that call the API directly.
 */
export class FakeResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  writableLength = 0;
  writableNeedDrain = false;
  body = "";
  writeHead(): this {
    return this;
  }
  setHeader(): void {}
  write(chunk: string | Buffer): boolean {
    this.body += chunk.toString();
    return true;
  }
  end(chunk?: string | Buffer): void {
    if (chunk) this.body += chunk.toString();
    this.writableEnded = true;
  }
}

/** A GET request for `url`, for FakeResponse; emit("close") on it is the browser going away. */
export function fakeRequest(url: string): http.IncomingMessage {
  return Object.assign(new EventEmitter(), { url, method: "GET" }) as unknown as http.IncomingMessage;
}
