// The playground's news server: NNTP on port 1119 (real servers use 119, which needs root),
// with a few groups full of seed discussions (seed/) that lesson 13 reads and posts to.
//
//   newsreader (nntplib, slrn, Thunderbird) ──NNTP──▶ 127.0.0.1:1119 ──▶ <dataDir>/news (newsstore.ts)
//
// nntp.ts speaks the protocol, newsstore.ts keeps the articles, seed.ts fills a fresh spool.

import type { Activity } from "../activity.ts";
import { DEFAULT_NEWS_ACCOUNTS, DEFAULT_NNTP_PORT } from "../defaults.ts";
import { startNntpServer, type NewsAccount } from "./nntp.ts";
import { NewsStore } from "./newsstore.ts";
import { ensureNewsSpool } from "./seed.ts";

export type { NewsAccount } from "./nntp.ts";

// 1119, and me / secret for the optional AUTHINFO (kept in ../defaults.ts, which npm start's main thread reads)
export { DEFAULT_NEWS_ACCOUNTS, DEFAULT_NNTP_PORT };

export interface NewsServerOptions {
  /** Default 127.0.0.1. On any other address, POST needs AUTHINFO first. */
  host?: string;
  /** Default 1119; 0 = any free port (tests always use 0). */
  port?: number;
  /** The playground data dir; the articles live in <dataDir>/news. */
  dataDir: string;
  /**
   * Default true: a fresh <dataDir>/news gets the seed articles from servers/news/seed/.
   * false: only the seed GROUPS, empty. An existing <dataDir>/news is never touched.
   */
  seed?: boolean;
  /** Another seed folder (same layout as servers/news/seed/), e.g. for tests. */
  seedDir?: string;
  /** For the optional AUTHINFO USER/PASS (RFC 4643); reading and posting work without it on loopback. */
  accounts?: NewsAccount[];
  /** Live "nntp#N C: …" / "S: …" lines (npm start -- --trace); AUTHINFO PASS is masked. */
  trace?: (line: string) => void;
  /** Sessions and stored items, for the console (servers/activity.ts); fire-and-forget. */
  activity?: Activity;
  /** RFC 3977 §3.1: at least 3 minutes; default 10 minutes. */
  idleTimeoutMs?: number;
  /** POST only after AUTHINFO (default: only when listening on a non-loopback address). */
  requireLoginToPost?: boolean;
  /** Certificate and key for STARTTLS (RFC 4642); without them STARTTLS is not offered. */
  tls?: { key: string; cert: string };
  /** AUTHINFO only after STARTTLS (default: when TLS is available and the address is not loopback). */
  requireTlsForLogin?: boolean;
  /** POST limits in posts a minute, per client address and per account (default 30 and 60; Infinity: none). */
  postsPerMinute?: { perAddress?: number; perAccount?: number };
  /** Concurrent connections from one client address (default 200) and in total (default 1000); more get 400. */
  maxConnectionsPerAddress?: number;
  maxConnections?: number;
}

export interface NewsServerHandle {
  port: number;
  /** nntp://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

export async function startNewsServer(options: NewsServerOptions): Promise<NewsServerHandle> {
  const host = options.host ?? "127.0.0.1";
  const newsDir = await ensureNewsSpool(options.dataDir, { withArticles: options.seed ?? true, seedDir: options.seedDir });
  const store = await NewsStore.open(newsDir);
  const server = await startNntpServer({
    host,
    port: options.port ?? DEFAULT_NNTP_PORT,
    store,
    accounts: options.accounts ?? DEFAULT_NEWS_ACCOUNTS,
    trace: options.trace,
    activity: options.activity,
    idleTimeoutMs: options.idleTimeoutMs,
    requireLoginToPost: options.requireLoginToPost,
    tls: options.tls,
    requireTlsForLogin: options.requireTlsForLogin,
    postsPerMinute: options.postsPerMinute,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    maxConnections: options.maxConnections,
  });
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return { port: server.port, url: `nntp://${urlHost}:${server.port}`, close: server.close };
}
