// getLatestNNTP.py (Core Python Programming, ch. 17) in TypeScript: connect to a news server,
// select comp.lang.python, find its latest article, show who wrote it and about what (XHDR),
// then the first 20 meaningful lines of its body — no quoted text, no "… wrote:", Python's
// >>> prompts kept. It uses the NntpClient written by hand in lessons/13-network-news.
//   npm start                                              (NNTP on 127.0.0.1:1119)
//   npx tsx examples/news-latest.ts                        comp.lang.python
//   npx tsx examples/news-latest.ts cn.comp.lang.python    another group
//   npx tsx examples/news-latest.ts --first                the first article instead (exercise 17-12)
// HOST and NNTP_PORT say where the server is (127.0.0.1 and 1119).

import { NntpClient, firstAndLatest, meaningfulLines } from "../lessons/13-network-news/solution.ts";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.NNTP_PORT ?? 1119);
const groupName = process.argv.slice(2).find((arg) => !arg.startsWith("--")) ?? "comp.lang.python";
const which = process.argv.includes("--first") ? "first" : "latest";

let client: NntpClient;
try {
  client = await NntpClient.connect(host, port);
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`*** Connected to host ${host}:${port}`);

try {
  // #region latest
  // GROUP's numbers are bounds; firstAndLatest asks STAT which articles really exist.
  const { first, latest } = await firstAndLatest(client, groupName);
  console.log(`*** Found newsgroup ${groupName}`);
  const article = which === "first" ? first : latest;
  console.log(`*** Found ${which} article (#${article.number}):\n`);

  // XHDR: one header of a range of articles ("1218" is a range of one) — the book's way.
  for (const header of ["From", "Subject", "Date"]) {
    const [value] = await client.xhdr(header, article.number);
    console.log(`${header}: ${decodeWords(value?.value ?? "(none)")}`);
  }

  const body = await client.body(article.number);
  console.log("\n*** First (<= 20) meaningful lines:\n");
  for (const line of meaningfulLines(body, 20)) console.log(`    ${line}`);
  // #endregion latest
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.quit().catch(() => {});
}

/**
 * Headers are ASCII: other text travels as RFC 2047 "encoded words", =?charset?B?base64?= or
 * =?charset?Q?quoted-printable?= (lesson 09). Only UTF-8 and ASCII here, the playground's charsets.
 */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, "$1") // the space between two encoded words is not text
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_word, _charset: string, encoding: string, text: string) =>
      encoding.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8"),
    );
}
