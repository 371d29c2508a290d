// FTP transfers in progress, as the console shows them (GET /console/api/transfers, the
// "transfer" event of /console/api/events): a real RETR held in the middle by a client that stops
// reading its data connection (a 48 MiB file fills every buffer on the way long before its end),
// then let go; a STOR with ALLO (its total known) and one without; an ABOR; a download over TLS
// (PROT P); who may see which; and the store's bounds.

import http from "node:http";
import { once } from "node:events";
import { truncate, writeFile } from "node:fs/promises";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import type { TransferProgress } from "../../servers/activity.ts";
import { handleSessionsApi } from "../../servers/console/api.ts";
import { SessionStore, type SessionSummary } from "../../servers/console/sessions.ts";
import type { Viewer } from "../../servers/console/viewer.ts";
import { hasPython, runProgram } from "../kit/processes.ts";
import { RawFtp } from "./ftp-kit.ts";
import { eventually, getJson, startTestConsole, type TestConsole } from "./console-live-kit.ts";

const BIG = 48 * 1024 * 1024;

let running: TestConsole;
beforeAll(async () => {
  running = await startTestConsole();
  // A sparse file: 48 MiB to send, next to nothing on the disk.
  const big = join(running.dataDir, "ftp", "home", "me", "big.bin");
  await writeFile(big, "");
  await truncate(big, BIG);
}, 60_000);
afterAll(async () => {
  await running?.stop();
});

async function transfers(base = running.base): Promise<TransferProgress[]> {
  const { status, body } = await getJson<{ transfers: TransferProgress[] }>(base, "/console/api/transfers");
  expect(status).toBe(200);
  return body.transfers;
}

/** The transfer of `path` once `check` holds for it (polling the API). */
function transferOf(path: string, check: (transfer: TransferProgress) => boolean, what: string): Promise<TransferProgress> {
  return eventually(async () => (await transfers()).find((transfer) => transfer.path === path && check(transfer)), 10_000, what);
}

/** Reads `bytes` from a paused data connection, then pauses it again. */
async function readSome(data: Socket, bytes: number): Promise<void> {
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got < bytes) return;
      data.pause();
      data.off("data", onData);
      resolve();
    };
    data.on("data", onData);
    data.resume();
  });
}

/** The console's event stream, only "transfer" events: every one received, parsed. */
async function transferEvents(base = running.base): Promise<{ events: { type: string; data: TransferProgress }[]; stop(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${base}/console/api/events?types=transfer`, { signal: controller.signal });
  const events: { type: string; data: TransferProgress }[] = [];
  let text = "";
  void (async () => {
    for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString("utf8");
      let end: number;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) });
      }
    }
  })().catch(() => {});
  return { events, stop: () => controller.abort() };
}

describe("FTP transfers in progress", () => {
  test("a RETR held by its client: running, bytes growing against the file's size, then done at the full size", async () => {
    const stream = await transferEvents();
    const ftp = await RawFtp.login(running.ftpPort, "me", "secret");
    await ftp.expect("TYPE I", 200);
    const data = await ftp.passive();
    data.pause(); // read nothing: the server's sends stop once the buffers between us are full
    await ftp.expect("RETR big.bin", 150);
    const startedAt = Date.now();

    const held = await transferOf("/big.bin", (t) => t.state === "running" && t.bytes > 0, "the RETR's first bytes");
    expect(held).toMatchObject({ account: "me", command: "RETR", direction: "download", total: BIG });
    expect(JSON.stringify(held)).not.toContain(running.dataDir);
    // Stuck: the buffers are full, not the file sent. Still reported (once a second), at 0 bytes/s.
    const stuck = await transferOf("/big.bin", (t) => t.id === held.id && t.bytesPerSecond === 0 && t.elapsedMs > held.elapsedMs, "a report of the stuck RETR");
    expect(stuck.state).toBe("running");
    expect(stuck.bytes).toBeLessThan(BIG / 2);
    // Its id is the data connection's session; that session belongs to me's control connection.
    const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=ftp-data");
    const dataSession = body.sessions.find((session) => session.id === held.id)!;
    expect(dataSession.relatedTo).toBe(held.sessionId);
    expect(dataSession.ended).toBeUndefined();

    await readSome(data, 8 * 1024 * 1024); // 8 MiB more taken by the client: the server sends more
    const grown = await transferOf("/big.bin", (t) => t.state === "running" && t.bytes >= stuck.bytes + 4 * 1024 * 1024, "more bytes");
    expect(grown.bytes).toBeLessThan(BIG);
    expect(grown.total).toBe(BIG);

    let received = 8 * 1024 * 1024;
    data.on("data", (chunk: Buffer) => (received += chunk.length));
    const closed = once(data, "close");
    data.resume();
    await closed;
    expect((await ftp.reply()).code).toBe(226);
    const done = await transferOf("/big.bin", (t) => t.state === "done", "the end of the RETR");
    expect(done).toMatchObject({ id: held.id, bytes: BIG, total: BIG, account: "me" });
    expect(done.bytesPerSecond).toBeGreaterThan(0);
    await ftp.close();

    // The stream had it live, and throttled: at most 4 reports a second (plus the first and the last).
    await eventually(() => (stream.events.some((e) => e.data.id === held.id && e.data.state === "done") ? true : undefined), 5_000, "the done event");
    stream.stop();
    expect(stream.events.every((e) => e.type === "transfer")).toBe(true);
    const mine = stream.events.filter((e) => e.data.id === held.id);
    const seconds = (Date.now() - startedAt) / 1000;
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 2);
    expect(mine[0]!.data).toMatchObject({ state: "running", bytes: 0 });
    const counts = mine.map((e) => e.data.bytes);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts); // never backwards
  }, 60_000);

  test("a STOR after ALLO: its total is the size ALLO named; the next STOR's is unknown", async () => {
    const ftp = await RawFtp.login(running.ftpPort, "me", "secret");
    await ftp.expect("TYPE I", 200);
    const size = 3_000_000;
    expect((await ftp.expect(`ALLO ${size}`, 200)).text).toContain(`${size} bytes`);
    let data = await ftp.passive();
    await ftp.expect("STOR upload.bin", 150);
    data.write(Buffer.alloc(1024 * 1024, 1));
    const part = await transferOf("/upload.bin", (t) => t.state === "running" && t.bytes >= 1024 * 1024, "the first MiB of the upload");
    expect(part).toMatchObject({ account: "me", command: "STOR", direction: "upload", total: size });
    expect(part.bytes).toBeLessThan(size);
    data.end(Buffer.alloc(size - 1024 * 1024, 2));
    expect((await ftp.reply()).code).toBe(226);
    const done = await transferOf("/upload.bin", (t) => t.state === "done", "the end of the upload");
    expect(done).toMatchObject({ id: part.id, bytes: size, total: size });

    // ALLO counted for that one upload only.
    data = await ftp.passive();
    await ftp.expect("APPE upload.bin", 150);
    data.end(Buffer.from("more\n"));
    expect((await ftp.reply()).code).toBe(226);
    const appended = await transferOf("/upload.bin", (t) => t.command === "APPE" && t.state === "done", "the APPE");
    expect(appended.total).toBeUndefined();
    expect(appended.bytes).toBe(5);
    await ftp.expect("ALLO lots", 501);
    await ftp.close();
  }, 30_000);

  test("ABOR during a held RETR: marked aborted, where it stopped", async () => {
    const ftp = await RawFtp.login(running.ftpPort, "me", "secret");
    await ftp.expect("TYPE I", 200);
    const data = await ftp.passive();
    data.pause();
    await ftp.expect("RETR big.bin", 150);
    const held = await transferOf("/big.bin", (t) => t.state === "running" && t.bytes > 0, "the held RETR");
    expect((await ftp.command("ABOR")).code).toBe(426);
    expect((await ftp.reply()).code).toBe(226);
    const aborted = await transferOf("/big.bin", (t) => t.id === held.id && t.state !== "running", "the aborted RETR");
    expect(aborted.state).toBe("aborted");
    expect(aborted.bytes).toBeLessThan(BIG);
    await ftp.close();
  }, 30_000);

  test.skipIf(!hasPython)("PROT P (a TLS data connection, Python's ftplib): counted the same", async () => {
    const finished = runProgram("python3", ["-c", `
import ftplib, os, ssl, time
f = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=os.environ['CA_FILE']))
f.connect('127.0.0.1', int(os.environ['FTP_PORT'])); f.login('me', 'secret'); f.prot_p()
got = [0]
def slowly(chunk):
    got[0] += len(chunk)
    time.sleep(0.0003)  # about 1 s in all: TLS hands over 16 KB records
f.retrbinary('RETR big.bin', slowly, blocksize=65536)
print(got[0]); f.quit()
`], { env: { FTP_PORT: String(running.ftpPort), CA_FILE: join(running.dataDir, "tls", "cert.pem") }, timeoutMs: 60_000 });
    const midway = await transferOf("/big.bin", (t) => t.state === "running" && t.bytes > 0, "the TLS RETR under way");
    expect(midway.bytes).toBeLessThan(BIG);
    const result = await finished;
    expect(result.stderr).toBe("");
    expect(Number(result.stdout)).toBe(BIG);
    const done = await transferOf("/big.bin", (t) => t.id === midway.id && t.state === "done", "the RETR over TLS");
    expect(done.bytes).toBe(BIG);
    const { body } = await getJson<{ session: SessionSummary }>(running.base, `/console/api/sessions/${done.id}`);
    expect(body.session.tls).toBe(true);
  }, 90_000);

  test("a student sees only their own transfers, live too; anonymous ones only the teacher", async () => {
    const me = await baseFor({ teacher: false, account: "me" });
    const friend = await baseFor({ teacher: false, account: "friend@example.org" });
    const [meLive, friendLive] = [await transferEvents(me), await transferEvents(friend)];
    const upload = await RawFtp.login(running.ftpPort, "me", "secret");
    const data = await upload.passive();
    await upload.expect("STOR live.txt", 150);
    data.end("live\n");
    expect((await upload.reply()).code).toBe(226);
    await upload.close();
    await eventually(() => (meLive.events.some((e) => e.data.path === "/live.txt" && e.data.state === "done") ? true : undefined), 5_000, "me's live event");
    meLive.stop();
    friendLive.stop();
    expect(friendLive.events).toEqual([]);

    const anonymous = await RawFtp.login(running.ftpPort);
    expect((await anonymous.retr("README.txt")).length).toBeGreaterThan(0);
    await anonymous.close();
    const theirs = await transferOf("/README.txt", (t) => t.state === "done", "the anonymous RETR");
    expect(theirs.account).toBe("anonymous");

    const mine = await transfers(me);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((transfer) => transfer.account === "me")).toBe(true);
    expect(await transfers(friend)).toEqual([]);
    expect((await transfers()).some((transfer) => transfer.account === "anonymous")).toBe(true);
  }, 30_000);
});

describe("the store's transfers (servers/console/sessions.ts)", () => {
  const report = (id: string, state: TransferProgress["state"], at: string): TransferProgress => ({
    id, sessionId: "ftp-1", account: "me", command: "RETR", direction: "download", path: `/${id}`, bytes: 10, bytesPerSecond: 5, started: "2026-01-01T00:00:00.000Z", at, elapsedMs: 2000, state,
  });

  test("running ones first, then those that ended, bounded; a data connection gone unreported is failed, until its last report comes", () => {
    const store = new SessionStore({ maxFinishedTransfers: 3 });
    for (let n = 1; n <= 5; n++) {
      store.transfer(report(`t${n}`, "running", "2026-01-01T00:00:01.000Z"));
      store.transfer(report(`t${n}`, "done", "2026-01-01T00:00:02.000Z"));
    }
    store.transfer(report("late", "running", "2026-01-01T00:00:01.000Z"));
    expect(store.transfers().map((t) => `${t.id} ${t.state}`)).toEqual(["late running", "t5 done", "t4 done", "t3 done"]);
    store.transfer(report("t5", "running", "2026-01-01T00:00:01.500Z")); // a report that was overtaken: ignored
    expect(store.transfers()[1]).toMatchObject({ id: "t5", state: "done" });

    store.sessionOpened({ id: "late", protocol: "ftp-data", port: 1, client: "127.0.0.1:2", tls: false, started: "2026-01-01T00:00:00.000Z" });
    store.sessionClosed({ id: "late", how: "reset", bytesIn: 0, bytesOut: 10, ended: "2026-01-01T00:00:03.000Z" });
    expect(store.transfers()[0]).toMatchObject({ id: "late", state: "failed", elapsedMs: 3000 });
    store.transfer(report("late", "aborted", "2026-01-01T00:00:03.001Z"));
    expect(store.transfers().filter((t) => t.id === "late")).toMatchObject([{ state: "aborted" }]);
    expect(store.transfers()).toHaveLength(3);
  });
});

/** An HTTP server answering the sessions API from the same store, as `viewer` (who auth.ts would have let in). */
async function baseFor(viewer: Viewer): Promise<string> {
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (!handleSessionsApi(request, response, path, viewer, running.console.store)) response.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  onTestFinished(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
