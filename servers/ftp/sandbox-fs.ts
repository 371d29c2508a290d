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
// - Uploads are capped: a file that grows past `maxUploadBytes` is refused and deleted.
// (A determined local attacker could still race a check against a rename on disk; the
// playground's folders are only changed through this class, so that cannot happen here.)

import { createReadStream, createWriteStream, realpathSync, rmSync, type Stats } from "node:fs";
import { lstat, mkdir, readdir, realpath, rename, rmdir, stat, unlink } from "node:fs/promises";
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
};

export class SandboxFileSystem extends FileSystem {
  readonly readOnly: boolean;
  private readonly realRoot: string;
  private readonly maxUploadBytes: number;
  private currentDir = "/";

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
      try {
        const { diskPath: entryPath } = await this.resolve(posix.join(clientPath, name));
        entries.push(Object.assign(await stat(entryPath), { name }));
      } catch {
        // a link out of the sandbox, or a file deleted meanwhile: not listed
      }
    }
    return entries;
  }

  /** RETR (RFC 959 §4.1.3): a stream of the file's bytes, from `start` on (after REST). */
  async read(fileName: string, { start }: { start?: number } = {}) {
    const { clientPath, diskPath } = await this.resolve(this.required(fileName));
    const stats = await this.safely(clientPath, () => stat(diskPath));
    if (stats.isDirectory()) throw new FtpReplyError(`${clientPath}: Is a directory`);
    // Big reads: ftp-srv waits for each chunk to be written before reading the next one.
    const stream = createReadStream(diskPath, { start, highWaterMark: 1024 * 1024 });
    return { stream, clientPath };
  }

  /** STOR and APPE (RFC 959 §4.1.3): a stream the upload is written into. */
  async write(fileName: string, { append = false, start }: { append?: boolean; start?: number } = {}) {
    const { clientPath, diskPath } = await this.resolveForChange(this.required(fileName));
    const existing = await stat(diskPath).catch(() => null);
    if (existing?.isDirectory()) throw new FtpReplyError(`${clientPath}: Is a directory`);
    return { stream: this.cappedUpload(diskPath, clientPath, { append, start }), clientPath };
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

  private safeError(err: unknown, clientPath: string): Error {
    if (err instanceof FtpReplyError) return err;
    const text = ERROR_TEXT[(err as NodeJS.ErrnoException).code ?? ""] ?? "the server could not do that";
    return new FtpReplyError(`${clientPath}: ${text}`);
  }

  /**
   * A stream into the uploaded file that counts bytes: past the cap it fails, and the
   * partial file is deleted. On any failure (a client that vanishes mid-upload too) the
   * partial file goes.
   */
  private cappedUpload(diskPath: string, clientPath: string, { append, start }: { append: boolean; start?: number }): Writable {
    const file = createWriteStream(diskPath, { flags: append ? "a" : start ? "r+" : "w", start, highWaterMark: 1024 * 1024 });
    const limit = this.maxUploadBytes;
    let received = 0;
    const upload = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > limit) return done(new FtpReplyError(`${clientPath}: upload refused, it is larger than the limit of ${limit} bytes`, 552));
        // Keep the disk busy while the next chunk arrives; wait only when the file's buffer is full.
        if (file.write(chunk)) done();
        else file.once("drain", () => done());
      },
      final(done) {
        file.end(done);
      },
      destroy(err, done) {
        file.destroy();
        if (!err || append) return done(err);
        // Delete the partial file now, before ftp-srv sends its error reply (it does not wait).
        rmSync(diskPath, { force: true });
        // A file whose open() was still under way appears after all: delete it once closed.
        if (file.pending) file.once("close", () => rmSync(diskPath, { force: true }));
        done(err);
      },
    });
    file.on("error", (err) => upload.destroy(this.safeError(err, clientPath)));
    // ftp-srv's STOR says "the upload is complete" by emitting 'close' on the stream; we
    // turn that into end(), which flushes the file.
    upload.once("close", () => {
      if (!upload.destroyed) upload.end();
    });
    return upload;
  }
}
