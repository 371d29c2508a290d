// npx tsx test/bench/nntp.ts            — a 10,000-article group (2 KB articles)
// npx tsx test/bench/nntp.ts --quick    — 2,000
// npx tsx test/bench/nntp.ts --tiny     — 100: only checks that everything runs (the smoke test)
//
// Measures the hand-written NNTP server (servers/news/nntp.ts):
// - start: rebuilding the in-memory index (numbers, Message-IDs, overview fields) from the files;
// - memory: the server's heap per article of that index (the articles stay on disk);
// - OVER over the whole group in one command (what a newsreader does on entering a group), lines/s;
// - ARTICLE one at a time over the whole group (what nntplib does), articles/s and MB/s, each
//   response checked (the :bytes OVER announced = the octets received after unstuffing);
// - POST one at a time: each article is flushed to disk (fsync) and the active file rewritten
//   before the 240, so this is mostly the disk's speed.
//
// The server runs in its own process (test/bench/nntp-server.ts); this process is the client.
// Loopback numbers on a shared machine are noisy: read them as orders of magnitude.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { NewsStore } from "../../servers/news/newsstore.ts";
import { BenchClient } from "./line-client.ts";
import { serverProcess } from "./probed-server.ts";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const { articles, posts } = { full: { articles: 10_000, posts: 500 }, quick: { articles: 2_000, posts: 200 }, tiny: { articles: 100, posts: 20 } }[size];
const GROUP = "bench.big";

/** A 2 KB article; every fifth body line starts with "." so the stuffing is exercised too. */
function article(n: number): Buffer {
  let text = `From: bench <bench@example.com>\nNewsgroups: ${GROUP}\nSubject: bench article ${n}\nMessage-ID: <${n}@bench>\nReferences: <${n - 1}@bench>\n\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? "." : ""}line ${line} of article ${n}: ${"x".repeat(48)}\n`;
  return Buffer.from(text);
}

/** A block's content with the dot-stuffing removed. */
async function unstuffedBlock(client: BenchClient): Promise<Buffer> {
  const content = await client.stuffedBlock();
  return Buffer.from(content.toString("latin1").replace(/^\./, "").replace(/\r\n\./g, "\r\n"), "latin1");
}

/** The server in its own process on `dataDir`'s spool: its port, start time, and a memory probe. */
async function startServer(dataDir: string) {
  const server = serverProcess(new URL("./nntp-server.ts", import.meta.url), [dataDir]);
  const [, port, startMs] = /:(\d+) \(started in (\d+) ms\)/.exec(await server.nextLine())!.map(Number);
  return { port, startMs, memory: server.memory, stop: server.stop };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "nntp-bench-"));
  const emptyDir = await mkdtemp(join(tmpdir(), "nntp-bench-empty-"));
  const groups = [{ name: GROUP, description: "Bench articles.", firstNumber: 1, created: new Date() }];
  try {
    console.log(`Filling ${GROUP} with ${articles.toLocaleString("en")} articles of 2 KB …`);
    let setup = performance.now();
    const store = await NewsStore.create(join(dataDir, "news"), groups, { fsync: false });
    for (let n = 1; n <= articles; n++) await store.post(article(n));
    await NewsStore.create(join(emptyDir, "news"), groups, { fsync: false });
    setup = performance.now() - setup;

    // The heap of a server with an empty group: the baseline the index is measured against.
    const empty = await startServer(emptyDir);
    const baseline = await empty.memory().finally(() => empty.stop());
    const server = await startServer(dataDir);
    try {
      const heap = await server.memory();
      if (!heap.gc) console.warn("(no --expose-gc: heap numbers include garbage)");
      const client = await BenchClient.connect(server.port);
      await client.command(`GROUP ${GROUP}`, `211 ${articles} 1 ${articles} `);

      // OVER 1-: the whole group in one response.
      let start = performance.now();
      await client.command("OVER 1-", "224");
      const overview = (await unstuffedBlock(client)).toString("latin1").split("\r\n").slice(0, -1);
      const overSeconds = (performance.now() - start) / 1000;
      if (overview.length !== articles) throw new Error(`OVER gave ${overview.length} lines, expected ${articles}`);
      const announced = overview.map((line) => Number(line.split("\t")[6]));

      // ARTICLE 1 … n, one at a time.
      start = performance.now();
      let bytes = 0;
      for (let n = 1; n <= articles; n++) {
        await client.command(`ARTICLE ${n}`, `220 ${n} <${n}@bench>`);
        const received = (await unstuffedBlock(client)).length;
        if (received !== announced[n - 1]) throw new Error(`ARTICLE ${n}: ${received} octets, OVER said ${announced[n - 1]}`);
        bytes += received;
      }
      const articleSeconds = (performance.now() - start) / 1000;

      // POST, one at a time (fsync on).
      start = performance.now();
      for (let n = 1; n <= posts; n++) {
        await client.command("POST", "340");
        client.socket.write(`From: bench@example.com\r\nNewsgroups: ${GROUP}\r\nSubject: posted ${n}\r\n\r\n..a dotted line\r\nbody\r\n.\r\n`);
        const reply = await client.line();
        if (!reply.startsWith("240 ")) throw new Error(`POST ${n}: ${reply}`);
      }
      const postSeconds = (performance.now() - start) / 1000;
      await client.command(`GROUP ${GROUP}`, `211 ${articles + posts} 1 ${articles + posts} `);
      const peak = (await server.memory()).maxRss;
      client.socket.destroy();

      const perArticle = (heap.heapUsed - baseline.heapUsed) / articles;
      console.log(`(filling took ${(setup / 1000).toFixed(1)} s; server in its own process, client here, loopback)\n`);
      printTable(["measurement", `${articles.toLocaleString("en")} articles`], [
        ["server start: index rebuilt from the files (ms)", String(server.startMs)],
        ["server heap for the index, per article (bytes)", perArticle.toFixed(0)],
        ["OVER 1- (the whole group, one command)", `${(articles / overSeconds).toFixed(0)} lines/s, ${(overSeconds * 1000).toFixed(0)} ms`],
        ["ARTICLE, one at a time", `${(articles / articleSeconds).toFixed(0)} articles/s, ${(bytes / 1e6 / articleSeconds).toFixed(1)} MB/s`],
        [`POST, one at a time (${posts}, fsync on)`, `${(posts / postSeconds).toFixed(0)} posts/s`],
        ["server peak RSS during the whole bench (MB)", (peak / 1e6).toFixed(0)],
      ]);
      // The index keeps every header of every article (OVER and HDR answer from memory); bodies stay on disk.
      const verdict = perArticle < 4096
        ? `the index (every article's headers, for OVER and HDR) costs ~${perArticle.toFixed(0)} bytes per article; bodies stay on disk`
        : `the index costs ${perArticle.toFixed(0)} bytes per article, more than the 2 KB articles: are whole articles being held in memory`;
      console.log(`\nVerdict: ${verdict}.`);
    } finally {
      server.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  }
}

await main();
