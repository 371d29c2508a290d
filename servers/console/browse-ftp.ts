// The console's FTP view: the files the FTP server serves, as one tree.
//
//   /              two folders: pub and home
//   /pub/…         <dataDir>/ftp/pub: what anonymous FTP shows as "/"
//   /home/<user>/… <dataDir>/ftp/home/<user>: what <user> sees as "/" after logging in
//
//   GET /console/api/ftp?path=/pub/releases      a folder: name, type, size, date of each entry
//   GET /console/api/ftp/download?path=/pub/x    a file, to save
//
// The sandbox is the FTP server's own (servers/ftp/sandbox-fs.ts): a path is resolved like a
// Unix path from "/" ("../" at the top stays at the top), and then where it REALLY leads on the
// disk is checked, symbolic links followed — a link pointing out of the root is refused, exactly
// as an FTP client's RETR of it would be. The console first folds the path itself, so that
// "/pub/../home/friend" is judged as the home of friend (which a student may not open).

import { readdir } from "node:fs/promises";
import { join, posix } from "node:path";
import type { FtpConnection } from "ftp-srv";
import { FtpReplyError, SandboxFileSystem } from "../ftp/sandbox-fs.ts";
import { maySee } from "./viewer.ts";
import { BrowseError, downloadHeaders, sendJson, type BrowseRequest } from "./browse.ts";

interface Entry {
  name: string;
  type: "dir" | "file";
  size: number;
  /** ISO time of the last change (what MDTM and LIST show). */
  date: string;
}

export async function browseFtp(request: BrowseRequest): Promise<void> {
  const [, action, ...extra] = request.segments;
  if (extra.length > 0 || (action !== undefined && action !== "download")) throw new BrowseError(404, "the FTP API has /console/api/ftp?path=… and /console/api/ftp/download?path=…");
  const path = consolePath(request.query.get("path") ?? "/");
  const ftpRoot = join(request.context.dataDir, "ftp");
  const [top, user, ...rest] = path.split("/").filter(Boolean);

  // The two made-up levels above the real roots: "/" and "/home".
  if (top === undefined || (top === "home" && user === undefined)) {
    if (action === "download") throw new BrowseError(400, `${path} is a folder: only files can be downloaded`);
    const entries = top === undefined ? await rootEntries(ftpRoot, request) : await homeEntries(ftpRoot, request);
    return sendJson(request.response, 200, { path, entries });
  }
  if (top !== "pub" && top !== "home") throw new BrowseError(404, `${path}: No such file or directory (the tree has /pub and /home)`);
  if (top === "home" && !maySee(request.viewer, user)) throw new BrowseError(403, `${path}: you may look only at your own FTP home`);
  const root = top === "pub" ? join(ftpRoot, "pub") : join(ftpRoot, "home", user);
  const inRoot = "/" + (top === "pub" ? [user, ...rest] : rest).filter((part) => part !== undefined).join("/");
  const prefix = top === "pub" ? "/pub" : `/home/${user}`;
  const files = sandbox(root, prefix);

  if (action === "download") {
    const info = await ftp(prefix, () => files.get(inRoot));
    if (info.isDirectory()) throw new BrowseError(400, `${path} is a folder: only files can be downloaded`);
    const { stream } = await ftp(prefix, () => files.read(inRoot));
    request.response.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": info.size,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...downloadHeaders(posix.basename(path)),
    });
    if (request.head) {
      stream.destroy();
      request.response.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      request.response.on("close", () => {
        stream.destroy(); // the browser went away: stop reading
        resolve();
      });
      stream.pipe(request.response);
    });
    return;
  }
  const info = await ftp(prefix, () => files.get(inRoot));
  if (!info.isDirectory()) {
    return sendJson(request.response, 200, { path, type: "file", size: info.size, date: info.mtime.toISOString() });
  }
  const listed = await ftp(prefix, () => files.list(inRoot));
  const entries: Entry[] = listed.map((entry) => ({ name: entry.name, type: entry.isDirectory() ? "dir" : "file", size: entry.size, date: entry.mtime.toISOString() }));
  return sendJson(request.response, 200, { path, entries });
}

/** ?path= folded like the FTP server folds a client path; backslashes and NULs refused as it refuses them. */
function consolePath(text: string): string {
  if (text.includes("\\") || text.includes("\0")) throw new BrowseError(400, "backslashes and NUL bytes are not allowed in FTP paths (use /)");
  if (text.length > 1024) throw new BrowseError(400, "that FTP path is too long");
  return posix.resolve("/", text);
}

/** The FTP server's sandbox over one root, used only to read (no connection: nothing is sent anywhere). */
function sandbox(root: string, prefix: string): SandboxFileSystem {
  try {
    return new SandboxFileSystem(null as unknown as FtpConnection, { root, readOnly: true, maxUploadBytes: 0 });
  } catch {
    throw new BrowseError(404, `${prefix}: No such file or directory`);
  }
}

/** Runs a sandbox operation; its FTP error (which names only the client's path) becomes a console error. */
async function ftp<T>(prefix: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (!(err instanceof FtpReplyError)) throw err;
    // The sandbox names paths from its own root ("/x"): put the console's prefix in front.
    const message = err.message.startsWith("/") ? prefix + (err.message.startsWith("/:") ? err.message.slice(1) : err.message) : err.message;
    if (/No such file|Not a directory/.test(err.message)) throw new BrowseError(404, message);
    if (/Permission denied/.test(err.message)) throw new BrowseError(403, message);
    throw new BrowseError(400, message);
  }
}

/** Facts about a root folder, or null if it is missing (or is a link leading elsewhere). */
async function rootInfo(root: string) {
  try {
    return await sandbox(root, "").get("/");
  } catch {
    return null;
  }
}

async function rootEntries(ftpRoot: string, request: BrowseRequest): Promise<Entry[]> {
  const pub = await rootInfo(join(ftpRoot, "pub"));
  const entries: Entry[] = [];
  if (pub) entries.push({ name: "pub", type: "dir", size: pub.size, date: pub.mtime.toISOString() });
  const home = await rootInfo(join(ftpRoot, "home"));
  if (home && (request.viewer.teacher || (await homeEntries(ftpRoot, request)).length > 0)) {
    entries.push({ name: "home", type: "dir", size: home.size, date: home.mtime.toISOString() });
  }
  return entries;
}

/** The homes this viewer may see: all for the teacher, a student's own. */
async function homeEntries(ftpRoot: string, request: BrowseRequest): Promise<Entry[]> {
  const found = await readdir(join(ftpRoot, "home"), { withFileTypes: true }).catch(() => []);
  const entries: Entry[] = [];
  for (const entry of found) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || !maySee(request.viewer, entry.name)) continue;
    const info = await rootInfo(join(ftpRoot, "home", entry.name));
    if (info) entries.push({ name: entry.name, type: "dir", size: info.size, date: info.mtime.toISOString() });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}
