// The spec's news server: a fresh playground news server (seeded, as on a learner's first
// `npm start`) per check, on a free port, in its own data dir — and a way to make articles
// "expire" the way a real server's expire run does (the files go, the numbers stay used).
import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startNewsServer, type NewsServerHandle } from "../../../servers/news/index.ts";
import { NntpClient } from "../../../lessons/13-network-news/solution.ts";

export interface TestNews {
  port: number;
  dataDir: string;
  /** Deletes these articles' files while the server is stopped, then starts it again (new port). */
  expire(group: string, numbers: number[]): Promise<void>;
  /** A client straight to the server (not through the network under test) for setting up and looking. */
  direct(): Promise<NntpClient>;
}

export async function startNews(network: { defer(cleanup: () => unknown): void }): Promise<TestNews> {
  const dataDir = mkdtempSync(join(tmpdir(), "lesson13-news-"));
  let server: NewsServerHandle = await startNewsServer({ port: 0, dataDir });
  network.defer(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const news: TestNews = {
    port: server.port,
    dataDir,
    async expire(group, numbers) {
      await server.close();
      // The spool layout of servers/news/newsstore.ts: <dataDir>/news/groups/<group>/<number>.
      for (const number of numbers) unlinkSync(join(dataDir, "news", "groups", group, String(number)));
      server = await startNewsServer({ port: 0, dataDir });
      news.port = server.port;
    },
    direct: () => NntpClient.connect("127.0.0.1", news.port),
  };
  return news;
}

/** A word nobody wrote before: the checks look for these, so no answer can know them in advance. */
export function freshWord(prefix = "w"): string {
  return `${prefix}${randomBytes(5).toString("hex")}`;
}

export function freshMessageId(): string {
  return `<${freshWord("spec")}@lesson13.example>`;
}

/** An article as POST sends it: headers, a blank line, the body (LF line endings; POST makes them CRLF). */
export function article(fields: { group: string; subject: string; messageId: string; references?: string[]; body: string[] }): string {
  return [
    "From: Spec <spec@example.com>",
    `Newsgroups: ${fields.group}`,
    `Subject: ${fields.subject}`,
    `Message-ID: ${fields.messageId}`,
    ...(fields.references?.length ? [`References: ${fields.references.join(" ")}`] : []),
    "Content-Type: text/plain; charset=UTF-8",
    "",
    ...fields.body,
  ].join("\n");
}

/** Posts through a direct connection; resolves with the article's number in `group`. */
export async function postDirect(news: TestNews, fields: Parameters<typeof article>[0]): Promise<number> {
  const client = await news.direct();
  try {
    await client.post(article(fields));
    return (await client.group(fields.group)).last; // nobody else posts to this server
  } finally {
    await client.quit();
  }
}
