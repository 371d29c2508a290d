// The playground's FTP server (lessons 11-12): ftp-srv, with a playground's rules around it.
//
//   anonymous / any e-mail address   read-only, sees <dataDir>/ftp/pub as "/"
//   me / secret                      read-write, sees <dataDir>/ftp/home/me as "/"
//
// FTP (RFC 959) uses two kinds of TCP connection. The CONTROL connection (port 2121 here)
// carries commands and numbered replies, one line each. Every file and every directory
// listing travels on a separate DATA connection, opened per transfer:
//   - passive (PASV, EPSV — RFC 2428): the server listens on a fresh port (30000-30100
//     here) and the client connects to it;
//   - active (PORT, EPRT): the client listens and the server connects back to it.
//
// The playground's rules (accounts, folders, limits) are here; every place where ftp-srv
// itself is corrected or replaced is in adapter.ts, whose header lists each one and why.
// Anonymous users cannot change anything, and nobody leaves their root folder (sandbox-fs.ts).
// No reply shows a path on the server's disk.
//
// FTPS (RFC 4217), with the playground certificate: AUTH TLS on the control connection, then
// PBSZ 0 and PROT P put the data connections (passive mode) in TLS too. Off loopback, real
// accounts must send AUTH TLS before USER; anonymous needs no TLS.
//
// Limits: 64 control connections per client address, 256 in all (more get 421); one passive
// data port per session, closed 10 s after PASV if no transfer uses it; control lines of at
// most 8 KB; uploads of at most 200 MiB, written in full or not at all.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import type { Activity } from "../activity.ts";
import { DEFAULT_FTP_ACCOUNTS, DEFAULT_FTP_PORT } from "../defaults.ts";
import { isLoopback } from "../loopback.ts";
import { startAdaptedFtpSrv } from "./adapter.ts";
import { FtpReplyError, SandboxFileSystem, removeUploadLeftovers } from "./sandbox-fs.ts";
import { DEFAULT_BIG_FILE_BYTES, seedPublicFiles } from "./seed.ts";

export interface FtpAccount {
  user: string;
  password: string;
}

// me / secret (kept in ../defaults.ts, which npm start's main thread reads)
export { DEFAULT_FTP_ACCOUNTS };

export interface FtpOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2121; 0 = any free port. */
  port?: number;
  /** Anonymous root: <dataDir>/ftp/pub (read-only); user homes: <dataDir>/ftp/home/<user>. */
  dataDir: string;
  /** Ports for passive data connections. Default 30000-30100, or any free port when `port` is 0. */
  passivePorts?: { min: number; max: number };
  accounts?: FtpAccount[];
  /** Largest upload accepted, in bytes. Default 200 MiB. */
  maxUploadBytes?: number;
  /** Size of pub/large/big-file.bin, written at the first start. Default 40 MiB. */
  bigFileBytes?: number;
  /** Write the sample files into <dataDir>/ftp/pub if it does not exist yet. Default true. */
  seed?: boolean;
  /** Control connections open at once: in total (default 256), and from one client address (default 64: a class of 30 behind one NAT address with two sessions each, yet fewer than the passive ports, so that one address cannot take them all). */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** A passive data port that no transfer uses is closed after this long. Default 10 s. */
  passiveIdleMs?: number;
  /** The playground certificate (servers/tls.ts): turns on FTPS — AUTH TLS, PBSZ 0, PROT P (RFC 4217). */
  tls?: { key: string; cert: string };
  /** Real accounts must send AUTH TLS before USER. Default: when `tls` is given and `host` is not loopback. */
  requireTlsForLogin?: boolean;
  /** Receives every control-connection line as "ftp#N C: …" / "ftp#N S: …". */
  trace?: (line: string) => void;
  /** Sessions and stored items, for the console (servers/activity.ts); fire-and-forget. */
  activity?: Activity;
}

export interface FtpServerHandle {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The user names that mean "anonymous FTP" (RFC 1635). */
const ANONYMOUS_USERS = new Set(["anonymous", "ftp"]);

export async function startFtpServer(options: FtpOptions): Promise<FtpServerHandle> {
  const startedAt = Date.now();
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_FTP_PORT;
  const accounts = options.accounts ?? DEFAULT_FTP_ACCOUNTS;
  const maxUploadBytes = options.maxUploadBytes ?? 200 * 1024 * 1024;
  const passivePorts = options.passivePorts ?? (port === 0 ? { min: 0, max: 0 } : { min: 30000, max: 30100 });
  const pubDir = join(options.dataDir, "ftp", "pub");
  const homeDir = (user: string) => join(options.dataDir, "ftp", "home", user);

  for (const { user } of accounts) {
    if (!/^[A-Za-z0-9._-]+$/.test(user) || user.startsWith(".") || ANONYMOUS_USERS.has(user.toLowerCase())) {
      throw new Error(`FTP account "${user}": a user name is letters, digits, "._-" (not "anonymous" or "ftp")`);
    }
  }
  if (options.seed ?? true) await seedPublicFiles(pubDir, options.bigFileBytes ?? DEFAULT_BIG_FILE_BYTES);
  await mkdir(pubDir, { recursive: true });
  for (const { user } of accounts) await mkdir(homeDir(user), { recursive: true });

  // What a crash (kill -9) left of uploads under way before this start is deleted.
  await removeUploadLeftovers(join(options.dataDir, "ftp"), startedAt);

  const server = await startAdaptedFtpSrv({
    host,
    port,
    passivePorts,
    passiveAddress: passiveAddress(host),
    passiveIdleMs: options.passiveIdleMs ?? 10_000,
    maxConnections: options.maxConnections ?? 256,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 64,
    anonymousUsers: ANONYMOUS_USERS,
    tls: options.tls,
    requireTlsForLogin: options.requireTlsForLogin ?? (options.tls !== undefined && !isLoopback(host)),
    trace: options.trace,
    activity: options.activity,
    // Logging in (RFC 959 §4.1.1 USER/PASS, RFC 1635 for anonymous).
    login(connection, username, password) {
      if (ANONYMOUS_USERS.has(username.toLowerCase())) {
        // Anonymous FTP: by custom the password is your e-mail address; anything is accepted.
        return new SandboxFileSystem(connection, { root: pubDir, readOnly: true, maxUploadBytes: 0 });
      }
      const account = accounts.find((a) => a.user === username && a.password === password);
      if (!account) throw new FtpReplyError("Login incorrect: wrong user name or password", 530);
      return new SandboxFileSystem(connection, { root: homeDir(account.user), readOnly: false, maxUploadBytes });
    },
  });
  return {
    port: server.port,
    url: `ftp://${host.includes(":") ? `[${host}]` : host}:${server.port}`,
    close: server.close,
  };
}

/** The address a PASV reply (227) tells clients to connect to; it must be IPv4. */
function passiveAddress(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  if (host === "0.0.0.0" || host === "::") {
    // Listening everywhere (a classroom): tell other machines our first network address.
    const addresses = Object.values(networkInterfaces()).flat();
    return addresses.find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "127.0.0.1";
  }
  return host;
}
