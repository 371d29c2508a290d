// The file system an FTP client sees: one folder on disk (its "root"), shown as "/".
//
// ftp-srv asks a FileSystem object to do every file operation (LIST, RETR, STOR, DELE,
// MKD …). Ours adds what a server open to strangers needs:
//
// - The root is a sandbox. A client path is resolved like a path on a Unix FTP server:
//   against the current directory, "." and ".." folded away, never above "/". Then the
//   REAL path on disk is checked (symbolic links followed), so a link that points outside
//   the root is refused too. Backslashes and NUL bytes are refused outright.
// - Error replies never show a path on the server's disk. Node's errors do
//   ("ENOENT: no such file or directory, stat '/home/you/.playground/ftp/pub/x'"), and
//   ftp-srv would send them to the client as they are: that tells an attacker where
//   things are. Every error is rewritten to name only the path the client asked for.
// - Read-only roots (anonymous FTP) refuse every change.
// - Uploads are all or nothing. They are written to a temporary file in the same folder
//   (".ftp-upload-<random>.part", never listed, never reachable by a client) and renamed onto
//   the real name only once complete, before the 226: rename() within one folder is atomic, so
//   a reader sees the old file or the new one, never half of one. An upload that fails, is reset,
//   or is cut off by a crash leaves the old file as it was. REST + STOR and APPE copy the old
//   file into the temporary one first and go on from there, under the same rule. Leftovers of a
//   crash (kill -9) are deleted at the next start (removeUploadLeftovers).
// - Uploads are capped: a file that grows past `maxUploadBytes` is refused (552) and dropped.
// (A determined local attacker could still race a check against a rename on disk; the
// playground's folders are only changed through this class, so that cannot happen here.)

import { realpathSync, rmSync, type Stats } from "node:fs";
import { copyFile, type FileHandle, lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, truncate, unlink } from "node:fs/promises";
import { basename, dirname, join, posix, sep } from "node:path";
import { Writable } from "node:stream";
import { randomUUID } from "node:crypto";
import { FileSystem, type FtpConnection } from "ftp-srv";

export interface SandboxOptions {
  /** The folder on disk that the client sees as "/". It must exist. */
  root: string;
  readOnly: boolean;
  maxUploadBytes: number;
}

/** An error whose message is safe to send to the client; ftp-srv puts `code` in some replies. */
export class FtpReplyError extends Error {
  constructor(
    message: string,
    readonly code = 550,
  ) {
    super(message);
  }
}

/** Temporary upload files start with this (see above); clients can neither see nor name them. */
export const UPLOAD_TEMP_PREFIX = ".ftp-upload-";
/** STOU gives up (553) after trying this many names. */
const MAX_UNIQUE_TRIES = 10_000;
const UPLOAD_TEMP_NAME = /^\.ftp-upload-[0-9a-f-]{36}\.part$/;

// Node's error codes, in the words an FTP reply uses.
const ERROR_TEXT: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EEXIST: "Already exists",
  ENOTEMPTY: "Directory not empty",
  EACCES: "Permission denied",
  EPERM: "Permission denied",
  ENAMETOOLONG: "Name too long",
  ENOSPC: "No space left on the server's disk",
};

export class SandboxFileSystem extends FileSystem {
  readonly readOnly: boolean;
  private readonly realRoot: string;
  private readonly maxUploadBytes: number;
  private currentDir = "/";
  /** Names STOU has taken (reserveUniqueName): disk path → the inode of the empty file. */
  private readonly reserved = new Map<string, number>();

  constructor(connection: FtpConnection, options: SandboxOptions) {
    super(connection, { root: options.root, cwd: "/" });
    this.realRoot = realpathSync(options.root);
    this.readOnly = options.readOnly;
    this.maxUploadBytes = options.maxUploadBytes;
  }

  currentDirectory(): string {
    return this.currentDir;
  }

  /** CWD (RFC 959 §4.1.1). */
  async chdir(path = "."): Promise<string> {
    const { clientPath, diskPath } = await this.resolve(path);
    const stats = await this.safely(clientPath, () => stat(diskPath));
    if (!stats.isDirectory()) throw new FtpReplyError(`${clientPath}: Not a directory`);
    this.currentDir = clientPath;
    return clientPath;
  }

  /** SIZE, MDTM, STAT and the first step of LIST and RNFR: facts about one file. */
  async get(fileName = "."): Promise<Stats & { name: string }> {
    const { clientPath, diskPath } = await this.resolve(fileName);
    const stats = await this.safely(clientPath, () => stat(diskPath));
    return Object.assign(stats, { name: posix.basename(clientPath) || "/" });
  }

  /** LIST and NLST of a folder. Entries that are links leading out of the root are left out. */
  async list(path = "."): Promise<(Stats & { name: string })[]> {
    const { clientPath, diskPath } = await this.resolve(path);
    const names = await this.safely(clientPath, () => readdir(diskPath));
    const entries: (Stats & { name: string })[] = [];
    for (const name of names.sort()) {
      if (name.startsWith(UPLOAD_TEMP_PREFIX)) continue; // an upload still under way: not there yet
      try {
        const { diskPath: entryPath } = await this.resolve(posix.join(clientPath, name));
        entries.push(Object.assign(await stat(entryPath), { name }));
      } catch {
        // a link out of the sandbox, or a file deleted meanwhile: not listed
      }
    }
    return entries;
  }

  /**
   * RETR (RFC 959 §4.1.3) and SIZE in TYPE A: the file, opened for reading. It is opened here,
   * before the 150: a file deleted a moment later (DELE on another connection) is still read to
   * its end, and one that is already gone is a 550 naming the client's path. The caller closes it.
   */
  async openForReading(fileName: string): Promise<{ file: FileHandle; clientPath: string; size: number }> {
    const { clientPath, diskPath } = await this.resolve(this.required(fileName));
    const file = await this.safely(clientPath, () => open(diskPath, "r"));
    const stats = await file.stat();
    if (stats.isDirectory()) {
      await file.close();
      throw new FtpReplyError(`${clientPath}: Is a directory`);
    }
    return { file, clientPath, size: stats.size };
  }

  /**
   * STOR and APPE (RFC 959 §4.1.3): a stream the upload is written into. It ends (and only then
   * does the file appear under its name) once the upload is complete and `keep(bytes)` — asked
   * with the number of bytes this upload wrote — still says yes.
   */
  async write(
    fileName: string,
    { append = false, start, keep = async () => true }: { append?: boolean; start?: number; keep?: (bytes: number) => Promise<boolean> } = {},
  ) {
    const { clientPath, diskPath } = await this.resolveForChange(this.required(fileName));
    const existing = await stat(diskPath).catch(() => null);
    if (existing?.isDirectory()) throw new FtpReplyError(`${clientPath}: Is a directory`);
    if (start && (!existing || existing.size < start)) {
      // RFC 3659 §5.4: a restart marker the file cannot honour.
      throw new FtpReplyError(`${clientPath}: cannot resume at byte ${start}, the file has ${existing?.size ?? 0} bytes`, 554);
    }
    const temp = join(dirname(diskPath), `${UPLOAD_TEMP_PREFIX}${randomUUID()}.part`);
    if (existing && (append || start)) {
      // Resuming or appending: start from a copy of the old file, which itself stays untouched.
      await this.safely(clientPath, () => copyFile(diskPath, temp));
      if (start) await this.safely(clientPath, () => truncate(temp, start));
    }
    return { stream: this.atomicUpload(temp, diskPath, clientPath, { append, start, keep }), clientPath };
  }

  /** DELE and RMD (RFC 959 §4.1.3). */
  async delete(path: string): Promise<void> {
    const { clientPath, diskPath } = await this.resolveForChange(this.required(path));
    if (clientPath === "/") throw new FtpReplyError("/: Permission denied (the root stays)");
    const stats = await this.safely(clientPath, () => lstat(diskPath));
    await this.safely(clientPath, () => (stats.isDirectory() ? rmdir(diskPath) : unlink(diskPath)));
  }

  /** MKD (RFC 959 §4.1.3): the reply names the new folder as the client sees it. */
  async mkdir(path: string): Promise<string> {
    const { clientPath, diskPath } = await this.resolveForChange(this.required(path));
    await this.safely(clientPath, () => mkdir(diskPath, { recursive: true }));
    return clientPath;
  }

  /** RNFR + RNTO (RFC 959 §4.1.3). */
  async rename(from: string, to: string): Promise<void> {
    const source = await this.resolveForChange(this.required(from));
    const target = await this.resolveForChange(this.required(to));
    if (source.clientPath === "/") throw new FtpReplyError("/: Permission denied (the root stays)");
    await this.safely(source.clientPath, () => rename(source.diskPath, target.diskPath));
  }

  async chmod(path: string): Promise<void> {
    throw new FtpReplyError(`${path}: SITE CHMOD is not offered by this server`, 502);
  }

  /**
   * STOU (RFC 959 §4.1.3): a name in the current folder that nobody has, taken at once. The file
   * is created empty with O_EXCL (flag "wx": fails if the name exists), so two STOUs at the same
   * moment can never choose the same name, as mkstemp() does; the upload then replaces the empty
   * file like any STOR. The name asked for if it is free, else it (or "upload") with .1, .2, … added.
   */
  async reserveUniqueName(asked: string | null): Promise<string> {
    for (let n = asked ? 0 : 1; n <= MAX_UNIQUE_TRIES; n++) {
      const name = n === 0 ? asked! : `${asked ?? "upload"}.${n}`;
      const { clientPath, diskPath } = await this.resolveForChange(name);
      try {
        const file = await open(diskPath, "wx");
        this.reserved.set(diskPath, (await file.stat()).ino);
        await file.close();
        return name;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw this.safeError(err, clientPath, 553);
      }
    }
    throw new FtpReplyError(`${asked ?? "upload"}: no free name found after ${MAX_UNIQUE_TRIES} tries`, 553);
  }

  /** A STOU that failed: the empty file that held its name goes (if it is still that empty file). */
  async releaseUniqueName(name: string): Promise<void> {
    const { diskPath } = await this.resolve(name);
    const ino = this.reserved.get(diskPath);
    this.reserved.delete(diskPath);
    const now = await lstat(diskPath).catch(() => null);
    if (ino !== undefined && now && now.ino === ino && now.size === 0) await rm(diskPath, { force: true });
  }

  getUniqueName(): string {
    return randomUUID();
  }

  // ----- the sandbox -----

  /**
   * A client path → where it really is on disk. Refuses anything that would lead outside
   * the root, including through symbolic links.
   */
  private async resolve(path: string): Promise<{ clientPath: string; diskPath: string }> {
    if (path.includes("\\")) throw new FtpReplyError(`${path}: backslashes are not allowed in paths (use /)`, 553);
    if (path.includes("\0")) throw new FtpReplyError("NUL bytes are not allowed in paths", 553);
    if (path.split("/").some((part) => part.startsWith(UPLOAD_TEMP_PREFIX))) {
      throw new FtpReplyError(`${path}: names starting with ${UPLOAD_TEMP_PREFIX} are reserved for uploads under way`, 553);
    }
    // Resolved like a Unix path, starting at "/": ".." at the top stays at "/".
    const clientPath = posix.resolve("/", this.currentDir, path);
    const diskPath = join(this.realRoot, clientPath);
    const real = await this.realPathOf(diskPath, clientPath);
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      throw new FtpReplyError(`${clientPath}: Permission denied (it leads outside your FTP root)`);
    }
    return { clientPath, diskPath: real };
  }

  /** Like resolve(), for commands that change something: refused on a read-only root. */
  private async resolveForChange(path: string): Promise<{ clientPath: string; diskPath: string }> {
    if (this.readOnly) throw new FtpReplyError(`${path}: Permission denied (anonymous access is read-only)`);
    return this.resolve(path);
  }

  /**
   * Where a path leads once every symbolic link in it is followed. A path that does not
   * exist yet (an upload, a new folder) leads to where its nearest existing parent leads.
   */
  private async realPathOf(diskPath: string, clientPath: string): Promise<string> {
    const missing: string[] = [];
    for (let path = diskPath; ; path = dirname(path)) {
      try {
        return join(await realpath(path), ...missing);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw this.safeError(err, clientPath);
        // A link whose target is missing: writing through it would create the target, wherever that is.
        if (await lstat(path).then((s) => s.isSymbolicLink(), () => false)) {
          throw new FtpReplyError(`${clientPath}: Permission denied (a broken link)`);
        }
        missing.unshift(basename(path));
        if (path === this.realRoot || path === dirname(path)) throw this.safeError(err, clientPath);
      }
    }
  }

  private required(name: string | null | undefined): string {
    if (!name) throw new FtpReplyError("a file or folder name is required", 501);
    return name;
  }

  /** Runs a Node file operation; its error becomes one that names only the client's path. */
  private async safely<T>(clientPath: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw this.safeError(err, clientPath);
    }
  }

  /** `code` for errors Node has no words for here (550 "not done"; uploads use 451 "local error"). */
  private safeError(err: unknown, clientPath: string, code = 550): FtpReplyError {
    if (err instanceof FtpReplyError) return err;
    const nodeCode = (err as NodeJS.ErrnoException).code ?? "";
    const text = ERROR_TEXT[nodeCode] ?? "the server could not do that";
    // RFC 959 §4.2: 452 "Insufficient storage space in system".
    return new FtpReplyError(`${clientPath}: ${text}`, nodeCode === "ENOSPC" ? 452 : code);
  }

  /**
   * A stream into the temporary file `temp` that counts bytes (past the cap it fails). When it
   * ends, the file is closed and renamed onto `diskPath`; on any failure (a client that vanishes
   * mid-upload too) the temporary file goes and `diskPath` is left as it was.
   *
   * It writes to the file itself, with no fs.WriteStream behind it: while one write is under way
   * the pieces that arrive are collected (up to 1 MiB, then the data connection waits), and go
   * to the disk together in the next write (writev) — one step, one buffer, as few writes as the
   * disk's pace allows.
   */
  private atomicUpload(
    temp: string,
    diskPath: string,
    clientPath: string,
    { append, start, keep }: { append: boolean; start?: number; keep: (bytes: number) => Promise<boolean> },
  ): Writable {
    const limit = this.maxUploadBytes;
    const safeError = (err: unknown) => this.safeError(err, clientPath, 451);
    let file: FileHandle | undefined;
    // Where the next bytes go: APPE writes at the end (O_APPEND, position null), REST + STOR from `start`.
    let position: number | null = append ? null : (start ?? 0);
    let received = 0;

    /** Writes all of `chunks`; a write that took only part of them (a disk filling up) is continued. */
    const writeAll = async (chunks: Buffer[]) => {
      while (chunks.length > 0) {
        let { bytesWritten } = await file!.writev(chunks, position ?? undefined);
        if (bytesWritten === 0) throw Object.assign(new Error("nothing written"), { code: "ENOSPC" }); // 452, not a loop
        if (position !== null) position += bytesWritten;
        while (chunks.length > 0 && bytesWritten >= chunks[0].length) bytesWritten -= chunks.shift()!.length;
        if (bytesWritten > 0) chunks[0] = chunks[0].subarray(bytesWritten);
      }
    };

    const upload = new Writable({
      // As large as the pieces collected during one write: with the default 16 KiB every 64 KiB
      // piece read from the data connection would "fill" it, pausing and resuming the connection.
      highWaterMark: 1024 * 1024,
      construct(done) {
        open(temp, append ? "a" : start ? "r+" : "w").then(
          (handle) => ((file = handle), done()),
          (err: unknown) => done(safeError(err)),
        );
      },
      writev(pieces, done) {
        const chunks = pieces.map(({ chunk }) => chunk as Buffer);
        received += chunks.reduce((bytes, chunk) => bytes + chunk.length, 0);
        if (received > limit) return done(new FtpReplyError(`${clientPath}: upload refused, it is larger than the limit of ${limit} bytes`, 552));
        writeAll(chunks).then(() => done(), (err: unknown) => done(safeError(err)));
      },
      final(done) {
        const closing = file!.close();
        file = undefined;
        closing.then(async () => {
          if (upload.destroyed || !(await keep(received))) {
            return done(new FtpReplyError(`${clientPath}: upload dropped, its connection was reset or the client left`, 426));
          }
          // The moment the upload becomes the file: atomic, within one folder.
          await rename(temp, diskPath);
          done();
        }).catch((err: unknown) => done(safeError(err)));
      },
      destroy(err, done) {
        // Delete the temporary file now, before the error reply goes out (an open file can be deleted).
        rmSync(temp, { force: true });
        file?.close().catch(() => {});
        file = undefined;
        done(err);
      },
    });
    return upload;
  }
}

/**
 * Deletes temporary upload files under `dir` (all folders) that are older than `startedAt`:
 * what a crash (kill -9, a power cut) left of uploads that never completed. Run at start.
 */
export async function removeUploadLeftovers(dir: string, startedAt: number): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removed += await removeUploadLeftovers(path, startedAt); // links are not followed
    else if (entry.isFile() && UPLOAD_TEMP_NAME.test(entry.name)) {
      const stats = await stat(path).catch(() => null);
      if (stats && stats.mtimeMs < startedAt) {
        await rm(path, { force: true });
        removed++;
      }
    }
  }
  return removed;
}
