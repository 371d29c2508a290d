// Spec for lessons/12-ftp-tools: the parts of an FTP command-line tool built on basic-ftp,
// each checked on its own (so that every finished step shows), against the playground's
// FTP server with its sample tree; the network under test sits on the control connection.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { Client } from "basic-ftp";
import { checkLesson, expectRejects, type Network } from "../../kit/checker.ts";
import type { TcpFaults } from "../../../servers/hostile-proxy.ts";
import { sampleFiles, RELEASE_VERSIONS } from "../../../servers/ftp/seed.ts";
import { startConnectionCounter } from "./connection-counter.ts";
import { startPlaygroundFtp, type PlaygroundFtp } from "../11-ftp-by-hand/playground-ftp.ts";
import * as exercise from "../../../lessons/12-ftp-tools/exercise.ts";

type Lesson12 = typeof import("../../../lessons/12-ftp-tools/solution.ts");

const seeded = new Map(sampleFiles().map(([path, content]) => [path, content]));
const NETWORK_TIMEOUT = 15_000;

/**
 * basic-ftp reads each TCP chunk as whole reply lines: a reply cut inside its first line
 * ("33" + "1 Password required") is lost, and the client waits until its timeout. So the
 * hostile run here is a SLOW network — every chunk delayed by up to 25 ms — not one that
 * cuts replies into 1-7 byte pieces (lesson 11's hand-written client survives that; see
 * this lesson's README, "Break it").
 */
function slowNetwork(network: Network): Partial<TcpFaults> | undefined {
  return network.profile === "hostile" ? { maxPiece: 0, maxDelayMs: 25 } : undefined;
}

/** A fresh local folder for one check, removed when the check ends. */
function localFolder(network: Network): string {
  const folder = mkdtempSync(join(tmpdir(), "ftp-tools-"));
  network.defer(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** The playground's FTP server, and a logged-in basic-ftp client through the network under test. */
async function playground(network: Network, user = "anonymous", password = "learner@example.com") {
  const ftp = await startPlaygroundFtp(network, slowNetwork(network));
  const client = await login(ftp, user, password);
  network.defer(() => client.close());
  return { ftp, client };
}

async function login(ftp: PlaygroundFtp, user: string, password: string): Promise<Client> {
  const client = new Client(8000);
  await client.access({ host: "127.0.0.1", port: ftp.port, user, password });
  return client;
}

/** Every file under `folder`, as "/"-separated paths relative to it, sorted. */
function filesIn(folder: string, prefix = ""): string[] {
  const paths: string[] = [];
  for (const entry of readdirSync(join(folder, prefix), { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) paths.push(...filesIn(folder, path));
    else if (entry.isFile()) paths.push(path);
  }
  return paths.sort();
}

checkLesson<Lesson12>("12-ftp-tools", {
  exercise,
  checks: [
    {
      name: "newestRelease compares versions as numbers: 1.10.0 is newer than 1.9.2",
      run({ newestRelease }) {
        const releases = RELEASE_VERSIONS.map((v) => `tool-${v}.tar.gz`);
        expect(newestRelease(["CHANGELOG.txt", ...releases, "SHA256SUMS.txt"])).toBe("tool-1.10.0.tar.gz");
        expect(newestRelease(["tool-1.9.2.tar.gz", "tool-1.10.0.tar.gz"])).toBe("tool-1.10.0.tar.gz");
        expect(newestRelease(["app-2.0.zip", "app-10.0.zip", "app-9.99.zip"])).toBe("app-10.0.zip");
        expect(newestRelease(["lib-1.2.10.tgz", "lib-1.2.9.tgz", "lib-1.2.tgz"])).toBe("lib-1.2.10.tgz");
        expect(newestRelease(["app-2.0.tar.gz", "app-2.0.1.tar.gz"]), "2.0.1 is newer than 2.0 (a missing part counts as 0)").toBe("app-2.0.1.tar.gz");
        expect(newestRelease(["app-2.0.1.tar.gz", "app-2.0.tar.gz"]), "2.0.1 is newer than 2.0, in any order").toBe("app-2.0.1.tar.gz");
        expect(newestRelease(["README.txt", "notes.txt"])).toBeUndefined();
        expect(newestRelease([])).toBeUndefined();
      },
    },
    {
      name: "matches: * and ? within a name, everything else literal, the whole name",
      run({ matches }) {
        const yes: [string, string][] = [
          ["*.py", "hello.py"],
          ["*.py", ".py"],
          ["doc*.pdf", "doc-faq.pdf"],
          ["doc*.pdf", "doc.pdf"],
          ["tool-?.?.?.tar.gz", "tool-1.9.2.tar.gz"],
          ["*", "README.txt"],
          ["build", "build"],
          ["a+b(1).txt", "a+b(1).txt"],
          ["doc?.pdf", "docs.pdf"],
          ["*.TXT", "NOTES.TXT"],
        ];
        const no: [string, string][] = [
          ["*.py", "hello.pyc"], // the whole name must match
          ["*.py", "main.py.txt"],
          ["doc*.pdf", "guide.pdf"],
          ["doc*.pdf", "doc-faqXpdf"], // "." is a dot, not "any character"
          ["*.py", "src/main.py"], // "*" does not cross "/"
          ["?", "ab"],
          ["tool-?.?.?.tar.gz", "tool-1.10.0.tar.gz"],
          ["build", "build.txt"],
          ["doc?.pdf", "doc.pdf"], // "?" is exactly one character
          ["*.TXT", "notes.txt"], // names on an FTP server are case-sensitive
        ];
        for (const [glob, name] of yes) expect(matches(glob, name), `matches("${glob}", "${name}")`).toBe(true);
        for (const [glob, name] of no) expect(matches(glob, name), `matches("${glob}", "${name}")`).toBe(false);
      },
    },
    {
      name: "zipStore: a valid stored zip (headers, CRC-32, central directory)",
      run({ zipStore }) {
        const files = [
          { name: "README.txt", data: Buffer.from("Project alpha\n") },
          { name: "src/main.py", data: Buffer.from("print('hi')\n") },
          { name: "empty.txt", data: Buffer.alloc(0) },
          { name: "bytes.bin", data: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256)) },
          { name: "Grüße-日本.txt", data: Buffer.from("a name that is longer in UTF-8 bytes than in characters\n") },
        ];
        const zip = zipStore(files);
        expect(Buffer.isBuffer(zip)).toBe(true);
        expect(readZip(zip)).toEqual(files.map(({ name, data }) => ({ name, hex: data.toString("hex") })));
        expect(readZip(zipStore([]))).toEqual([]);
      },
    },
    {
      name: "progressLine: bar, percentage and bytes per second",
      run({ progressLine }) {
        expect(progressLine(524288, 1048576, 2000)).toBe("[##########..........]  50%  256.0 KB/s");
        expect(progressLine(0, 1000, 0)).toBe("[....................]   0%  0 B/s");
        expect(progressLine(1000, 1000, 500)).toBe("[####################] 100%  2.0 KB/s");
        expect(progressLine(30 * 1024 * 1024, 40 * 1024 * 1024, 10_000, 8)).toBe("[######..]  75%  3.0 MB/s");
        expect(progressLine(999, 1000, 1000, 10)).toBe("[##########]  99%  999 B/s");
        expect(progressLine(1024, 2048, 1000), "exactly 1024 B/s is 1.0 KB/s").toBe("[##########..........]  50%  1.0 KB/s");
        expect(progressLine(1024 * 1024, 4 * 1024 * 1024, 1000), "exactly 1024 × 1024 B/s is 1.0 MB/s").toBe("[#####...............]  25%  1.0 MB/s");
      },
    },
    {
      name: "openClient: anonymous and me:secret log in; a wrong password rejects with 530",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ openClient }, network) {
        const ftp = await startPlaygroundFtp(network, slowNetwork(network));
        const anonymous = await openClient(`ftp://127.0.0.1:${ftp.port}`);
        network.defer(() => anonymous.close());
        expect((await anonymous.list("/")).map((entry) => entry.name)).toContain("releases");
        const me = await openClient(`ftp://me:secret@127.0.0.1:${ftp.port}`);
        network.defer(() => me.close());
        expect(await me.pwd()).toBe("/");
        // RFC 1738 §3.1: user and password in a URL are %-encoded ("%65" is "e").
        const encoded = await openClient(`ftp://me:s%65cret@127.0.0.1:${ftp.port}`);
        network.defer(() => encoded.close());
        expect(await encoded.pwd(), "ftp://me:s%65cret@… logs in as me/secret: decode the URL's user and password").toBe("/");
        // A failed login must close its control connection: count the connections on the way in.
        const counter = await startConnectionCounter(ftp.port);
        network.defer(() => counter.close());
        const wrong = await expectRejects(openClient(`ftp://me:wrong@127.0.0.1:${counter.port}`), "openClient with a wrong password");
        expect(wrong.message).toContain("530");
        expect(await counter.stillOpen(2500), "control connections still open 2.5 s after the 530: close the client when the login fails").toBe(0);
      },
    },
    {
      name: "downloadNewest: lists /releases and saves the newest archive byte for byte",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ downloadNewest }, network) {
        const { client } = await playground(network);
        const folder = localFolder(network);
        const name = await downloadNewest(client, "/releases", folder);
        expect(name).toBe("tool-1.10.0.tar.gz");
        expect(filesIn(folder)).toEqual(["tool-1.10.0.tar.gz"]);
        expect(readFileSync(join(folder, name)).equals(seeded.get(`releases/${name}`)!)).toBe(true);
      },
    },
    {
      name: "downloadMatching: doc*.pdf from /docs and *.py from /scripts, nothing else",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ downloadMatching }, network) {
        const { client } = await playground(network);
        const folder = localFolder(network);
        const pdfs = await downloadMatching(client, "/docs", "doc*.pdf", join(folder, "docs"));
        expect(pdfs).toEqual(["doc-faq.pdf", "doc-intro.pdf", "doc-protocol.pdf"]);
        const scripts = await downloadMatching(client, "/scripts", "*.py", join(folder, "scripts"));
        expect(scripts).toEqual(["backup.py", "fetch.py", "hello.py"]);
        const expected = [...pdfs.map((n) => `docs/${n}`), ...scripts.map((n) => `scripts/${n}`)];
        expect(filesIn(folder)).toEqual(expected.sort());
        for (const path of expected) expect(readFileSync(join(folder, path)).equals(seeded.get(path)!), path).toBe(true);
      },
    },
    {
      name: "uploadMatching: me uploads the *.py files of a folder, not the others",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ uploadMatching }, network) {
        const { ftp, client } = await playground(network, "me", "secret");
        const folder = localFolder(network);
        writeFileSync(join(folder, "one.py"), "print(1)\n");
        writeFileSync(join(folder, "two.py"), Buffer.from([0, 255, 13, 10, 10]));
        writeFileSync(join(folder, "notes.txt"), "not a script\n");
        mkdirSync(join(folder, "sub.py")); // a folder, even with a matching name, is not a file
        await client.ensureDir("/uploads");
        await client.cd("/");
        const uploaded = await uploadMatching(client, folder, "*.py", "/uploads");
        expect(uploaded).toEqual(["one.py", "two.py"]);
        const home = join(ftp.dataDir, "ftp", "home", "me", "uploads");
        expect(filesIn(home)).toEqual(["one.py", "two.py"]);
        expect(readFileSync(join(home, "two.py")).toString("hex")).toBe("00ff0d0a0a");
      },
    },
    {
      name: "mirror: only the top folder without -r, everything with -r, minus -s patterns",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ mirror }, network) {
        const { client } = await playground(network);
        const flat = localFolder(network);
        expect(await mirror(client, "/projects/alpha", flat)).toEqual(["README.txt"]);
        expect(filesIn(flat)).toEqual(["README.txt"]);

        const deep = localFolder(network);
        const all = ["README.txt", "build/alpha.exe", "docs/doc-alpha.pdf", "src/main.py", "src/util.py"];
        expect(await mirror(client, "/projects/alpha", deep, { recursive: true })).toEqual(all);
        expect(filesIn(deep)).toEqual(all);
        for (const path of all) expect(readFileSync(join(deep, path)).equals(seeded.get(`projects/alpha/${path}`)!), path).toBe(true);

        const skipped = localFolder(network);
        const copied = await mirror(client, "/projects", skipped, { recursive: true, skip: ["build", "*.pdf", "2024"] });
        const expected = ["alpha/README.txt", "alpha/src/main.py", "alpha/src/util.py", "beta/beta.py", "beta/data/readings.txt"];
        expect(copied).toEqual(expected);
        expect(filesIn(skipped)).toEqual(expected);
        expect(existsSync(join(skipped, "alpha", "build")), "a skipped folder is not even created").toBe(false);
      },
    },
    {
      name: "downloadAll: every file, at most `limit` clients at once, all of them closed",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ downloadAll }, network) {
        const ftp = await startPlaygroundFtp(network, slowNetwork(network));
        const folder = localFolder(network);
        let open = 0;
        let most = 0;
        let made = 0;
        const connect = async () => {
          open++; // counted from the call: a client being connected counts as open
          made++;
          most = Math.max(most, open);
          const client = await login(ftp, "anonymous", "learner@example.com");
          const close = client.close.bind(client);
          let closed = false;
          client.close = () => {
            if (!closed) open--;
            closed = true;
            close();
          };
          network.defer(() => client.close());
          return client;
        };
        const names = ["doc-faq.pdf", "doc-intro.pdf", "doc-protocol.pdf", "guide.pdf", "notes.txt", "readme-first.txt"];
        await downloadAll(connect, "/docs", names, folder, 3);
        expect(filesIn(folder)).toEqual(names);
        for (const name of names) expect(readFileSync(join(folder, name)).equals(seeded.get(`docs/${name}`)!), name).toBe(true);
        expect(most, "clients open at the same time (the limit is 3)").toBe(3);
        expect(open, "clients still open after downloadAll").toBe(0);
        expect(made, "clients made for 6 files with a limit of 3").toBeLessThanOrEqual(6);

        // A file that is not there: downloadAll rejects, and still closes every client it made.
        const withMissing = ["doc-faq.pdf", "missing.pdf", "notes.txt", "guide.pdf"];
        await expectRejects(downloadAll(connect, "/docs", withMissing, localFolder(network), 2), "downloadAll with a missing file");
        const deadline = Date.now() + 3000;
        while (open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(open, "clients still open 3 s after a failed download: close each client in a finally").toBe(0);
      },
    },
  ],
});

// ---- a small zip reader, to check zipStore's output -------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Reads a stored (uncompressed) zip the way unzip does: end record → central directory → local headers. */
function readZip(zip: Buffer): { name: string; hex: string }[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end), "end of central directory signature (PK\\5\\6) in the last 22 bytes").toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  expect(at + directorySize, "the central directory ends where the end record starts").toBe(end);
  const files: { name: string; hex: string }[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at), `central directory entry ${i} signature (PK\\1\\2)`).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    expect(method, `${name}: method 0 (stored)`).toBe(0);
    expect(zip.readUInt32LE(offset), `${name}: local header signature (PK\\3\\4) at its offset`).toBe(0x04034b50);
    const localName = zip.subarray(offset + 30, offset + 30 + zip.readUInt16LE(offset + 26)).toString("utf8");
    expect(localName, "the local header names the same file").toBe(name);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const data = zip.subarray(start, start + size);
    expect(zip.readUInt32LE(offset + 14), `${name}: CRC-32 in the local header`).toBe(crc);
    expect(crc, `${name}: the CRC-32 of its bytes`).toBe(crc32(data));
    files.push({ name, hex: data.toString("hex") });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}
