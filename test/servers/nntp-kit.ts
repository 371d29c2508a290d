// Shared by the NNTP tests: a news server on a fresh temp data dir, a raw-socket client that
// shows exactly what the server sent, and a runner for Python's nntplib.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { startNewsServer, type NewsServerOptions } from "../../servers/news/index.ts";
import { SEED_DIR } from "../../servers/news/seed.ts";
import { runProgram } from "../kit/processes.ts";
import { RawLineClient } from "../kit/raw-line-client.ts";

export { SEED_DIR };

export interface TestNews {
  port: number;
  dataDir: string;
  newsDir: string;
  trace: string[];
  close(): Promise<void>;
  /** Stops the server and starts a new one on the same data dir (a restart). */
  restart(): Promise<void>;
}

/**
 * A news server on port 0 with its own data dir (the real seed unless told otherwise);
 * stopped, and the dir removed, when the test ends.
 */
export async function startTestNews(options: Partial<NewsServerOptions> = {}): Promise<TestNews> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "nntp-test-")));
  const trace: string[] = [];
  const start = () => startNewsServer({ port: 0, trace: (line) => trace.push(line), ...options, dataDir });
  let server = await start();
  const news: TestNews = {
    port: server.port,
    dataDir,
    newsDir: join(dataDir, "news"),
    trace,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await server.close();
      server = await start();
      news.port = server.port;
    },
  };
  onTestFinished(news.close);
  return news;
}

/** A small seed folder of our own (groups.json + articles/), for tests that need exact control. */
export async function makeSeed(groups: { name: string; description: string; firstNumber: number }[], articles: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nntp-seed-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "articles"));
  await writeFile(join(dir, "groups.json"), JSON.stringify(groups));
  for (const [name, content] of Object.entries(articles)) await writeFile(join(dir, "articles", name), content);
  return dir;
}

/** The real seed: groups in listing order and the articles in posting order (file name, bytes). */
export async function readRealSeed(): Promise<{ groups: { name: string; description: string; firstNumber: number }[]; articles: { name: string; content: Buffer }[] }> {
  const groups = JSON.parse(await readFile(join(SEED_DIR, "groups.json"), "utf8"));
  const names = (await readdir(join(SEED_DIR, "articles"))).filter((name) => name.endsWith(".txt")).sort();
  const articles = await Promise.all(names.map(async (name) => ({ name, content: await readFile(join(SEED_DIR, "articles", name)) })));
  return { groups, articles };
}

/** A raw NNTP client (test/kit/raw-line-client.ts) with NNTP's greeting and multi-line answers. */
export class RawNntp extends RawLineClient {
  static async connect(port: number, from?: string): Promise<RawNntp> {
    return new RawNntp(await RawLineClient.socketTo(port, undefined, from));
  }

  /** Connects and reads the greeting. */
  static async open(port: number): Promise<RawNntp> {
    const client = await RawNntp.connect(port);
    const greeting = await client.line();
    if (!greeting.startsWith("200 ")) throw new Error(`unexpected greeting: ${greeting}`);
    return client;
  }

  /** The block's lines. */
  async block(): Promise<string[]> {
    const text = (await this.blockBytes()).toString("utf8");
    return text === "" ? [] : text.replace(/\r\n$/, "").split("\r\n");
  }

  /** Sends a command, expects a status starting with `code`, and returns the block's lines. */
  async list(command: string, code: string): Promise<string[]> {
    const status = await this.command(command);
    if (!status.startsWith(code + " ")) throw new Error(`${command}: expected ${code}, got: ${status}`);
    return this.block();
  }
}

/** LF text → CRLF (what the wire carries). */
export function crlf(text: string | Buffer): Buffer {
  return Buffer.from(Buffer.from(text).toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");
}

/**
 * Runs Python code that uses nntplib (the DeprecationWarning of 3.11 silenced) with the port
 * as sys.argv[1]; returns the JSON it printed on its last line.
 */
export async function runNntplib(port: number, code: string, args: string[] = []): Promise<any> {
  const script = `import warnings\nwarnings.simplefilter("ignore")\nimport nntplib, sys, json\nport = int(sys.argv[1])\n${code}`;
  const result = await runProgram("python3", ["-c", script, String(port), ...args], { timeoutMs: 25_000 });
  if (result.code !== 0) throw new Error(`python exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

/** Every file under `dir` (relative paths), for "nothing was left behind" checks. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(dir.length + 1)).sort();
}
