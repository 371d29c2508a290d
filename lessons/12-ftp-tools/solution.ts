// Lesson 12 — reference solution. Same exports as exercise.ts.
// The parts of a small FTP command-line tool (examples/ftp-tool.ts puts them together),
// built on basic-ftp: its Client speaks the control connection, opens the passive data
// connections and parses listings, so that we can think in files and folders.

import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Client, FileType } from "basic-ftp";

// ---- step 1: log in ----------------------------------------------------------------

/**
 * Opens a logged-in client for "ftp://[user[:password]@]host[:port]". Without a user:
 * anonymous, with an e-mail address as password (RFC 1635). The port defaults to 21.
 */
export async function openClient(url: string): Promise<Client> {
  const { protocol, hostname, port, username, password } = new URL(url);
  if (protocol !== "ftp:") throw new Error(`not an ftp:// URL: ${url}`);
  const client = new Client(10_000); // give up on a silent server after 10 s
  try {
    await client.access({
      host: hostname,
      port: port === "" ? 21 : Number(port),
      user: username === "" ? "anonymous" : decodeURIComponent(username),
      password: username === "" ? "learner@example.com" : decodeURIComponent(password),
    });
  } catch (err) {
    client.close(); // a failed login must not leave the control connection open
    throw err;
  }
  return client;
}

// ---- step 2: the newest release (Core Python 17-1) ---------------------------------

/** "tool-1.10.0.tar.gz" → [1, 10, 0]; a name without a version → undefined. */
function versionOf(name: string): number[] | undefined {
  const match = /\d+(?:\.\d+)+/.exec(name);
  return match ? match[0].split(".").map(Number) : undefined;
}

/** Compares versions number by number: 1.10.0 is newer than 1.9.2 (a name sort says the opposite). */
function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function newestRelease(names: string[]): string | undefined {
  let newest: { name: string; version: number[] } | undefined;
  for (const name of names) {
    const version = versionOf(name);
    if (version && (!newest || compareVersions(version, newest.version) > 0)) newest = { name, version };
  }
  return newest?.name;
}

export async function downloadNewest(client: Client, remoteDir: string, localDir: string): Promise<string> {
  const files = (await client.list(remoteDir)).filter((entry) => entry.type === FileType.File);
  const newest = newestRelease(files.map((entry) => entry.name));
  if (!newest) throw new Error(`no versioned file in ${remoteDir}`);
  await mkdir(localDir, { recursive: true });
  await client.downloadTo(join(localDir, newest), `${remoteDir}/${newest}`);
  return newest;
}

// ---- step 3: patterns (Core Python 17-2 and 17-8) -------------------------------

/**
 * Shell-style patterns: "*" is any run of characters and "?" any one character — neither
 * crosses a "/" — and everything else matches itself (the "." in "*.py" is a dot).
 */
export function matches(glob: string, name: string): boolean {
  let pattern = "";
  for (const char of glob) {
    if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&"); // a literal character
  }
  return new RegExp(`^${pattern}$`).test(name); // the whole name, not a part of it
}

/** Downloads the files of `remoteDir` whose names match `glob`; returns their names, sorted. */
export async function downloadMatching(client: Client, remoteDir: string, glob: string, localDir: string): Promise<string[]> {
  const names = (await client.list(remoteDir))
    .filter((entry) => entry.type === FileType.File && matches(glob, entry.name))
    .map((entry) => entry.name)
    .sort();
  await mkdir(localDir, { recursive: true });
  // One at a time: a basic-ftp Client runs one command (and one transfer) at a time.
  for (const name of names) await client.downloadTo(join(localDir, name), `${remoteDir}/${name}`);
  return names;
}

/** Uploads the files of `localDir` whose names match `glob` into `remoteDir`; returns their names, sorted. */
export async function uploadMatching(client: Client, localDir: string, glob: string, remoteDir: string): Promise<string[]> {
  const entries = await readdir(localDir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isFile() && matches(glob, entry.name)).map((entry) => entry.name).sort();
  for (const name of names) await client.uploadFrom(join(localDir, name), `${remoteDir}/${name}`);
  return names;
}

// ---- step 4: mirroring (Core Python 17-7, with -r and -s) -------------------------

export interface MirrorOptions {
  recursive?: boolean; // -r: go into sub-folders too
  skip?: string[]; // -s: names (of files or folders) to leave out, as patterns
}

/**
 * Copies `remoteDir` into `localDir`: its files, and with `recursive` its folders too,
 * leaving out every file or folder whose name matches a `skip` pattern. Returns the paths
 * of the files copied, relative to `remoteDir` ("src/main.py"), sorted.
 */
export async function mirror(client: Client, remoteDir: string, localDir: string, options: MirrorOptions = {}): Promise<string[]> {
  const copied: string[] = [];
  async function copyFolder(relative: string): Promise<void> {
    await mkdir(join(localDir, relative), { recursive: true });
    for (const entry of await client.list(relative === "" ? remoteDir : `${remoteDir}/${relative}`)) {
      if (entry.name === "." || entry.name === "..") continue;
      if ((options.skip ?? []).some((glob) => matches(glob, entry.name))) continue;
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.type === FileType.Directory) {
        if (options.recursive) await copyFolder(path);
      } else if (entry.type === FileType.File) {
        await client.downloadTo(join(localDir, path), `${remoteDir}/${path}`);
        copied.push(path);
      }
    }
  }
  await copyFolder("");
  return copied.sort();
}

// ---- step 5: a zip file (Core Python 17-10) ----------------------------------------

// CRC-32 (the checksum of zip, gzip and Ethernet), computed with the usual 256-entry table.
// Node ≥ 20.15 also has zlib.crc32(); this works on every Node 20.
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

/**
 * A zip archive that stores the files as they are (method 0, no compression). Each file
 * is a local header + its bytes; at the end, a central directory lists them all again
 * with where each one starts, and a last record says where that directory is.
 * (PKWARE's APPNOTE.TXT §4.3; all numbers little-endian.)
 */
export function zipStore(files: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of files) {
    const fileName = Buffer.from(name, "utf8");
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // "PK\3\4": a local file header
    local.writeUInt16LE(20, 4); // version needed to extract: 2.0
    local.writeUInt16LE(0x0800, 6); // flags: the name is UTF-8
    local.writeUInt16LE(0, 8); // method 0: stored
    local.writeUInt16LE(0, 10); // time (00:00:00)
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01, the earliest a zip can say
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); // compressed size = size: stored
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28); // no extra field

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); // "PK\1\2": a central directory entry
    central.writeUInt16LE(20, 4); // made by version 2.0
    local.copy(central, 6, 4, 30); // the same fields as the local header, from "version needed" on
    // (bytes 32-41 stay 0: no comment, disk 0, no attributes)
    central.writeUInt32LE(offset, 42); // where this file's local header starts

    parts.push(local, fileName, data);
    directory.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // "PK\5\6": end of central directory
  end.writeUInt16LE(files.length, 8); // entries on this disk
  end.writeUInt16LE(files.length, 10); // entries in all
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16); // the central directory starts right after the last file
  return Buffer.concat([...parts, ...directory, end]);
}

// ---- step 6: a progress bar (Core Python 17-3) -------------------------------------

/** 512 → "512 B", 1536 → "1.5 KB", 3 × 1024 × 1024 → "3.0 MB" (1 KB = 1024 bytes). */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * progressLine(524288, 1048576, 2000) → "[##########..........]  50%  256.0 KB/s"
 * A bar of `width` characters, the percentage (rounded down, 3 wide), and the speed so far.
 */
export function progressLine(done: number, total: number, elapsedMs: number, width = 20): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  const perSecond = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0; // bytes per millisecond × 1000
  return `[${bar}] ${percent}%  ${formatBytes(perSecond)}/s`;
}

// ---- step 7: parallel downloads (Core Python 17-4) --------------------------------

/**
 * Downloads `names` from `remoteDir` into `localDir`, at most `limit` at a time. A basic-ftp
 * Client does one transfer at a time (FTP has one control connection per session), so
 * each parallel download needs a client of its own: `limit` workers, each with its own
 * client from `connect()`, take the next name from a shared queue until it is empty.
 */
export async function downloadAll(
  connect: () => Promise<Client>,
  remoteDir: string,
  names: string[],
  localDir: string,
  limit: number,
): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const queue = [...names];
  async function worker(): Promise<void> {
    const client = await connect();
    try {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await client.downloadTo(join(localDir, name), `${remoteDir}/${name}`);
      }
    } finally {
      client.close();
    }
  }
  const workers = Math.max(1, Math.min(limit, names.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
}
