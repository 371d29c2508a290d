// Keyword search over a newsgroup (exercises 17-14 and 17-15): subjects from one OVER, bodies
// with one BODY per article, then search() with AND and OR (AND binds tighter).
//   npm start                                                  (NNTP on 127.0.0.1:1119)
//   npx tsx examples/news-search.ts "recv OR timeout"
//   npx tsx examples/news-search.ts "udp AND datagram OR nagle" comp.protocols.tcp-ip
// HOST and NNTP_PORT say where the server is (127.0.0.1 and 1119).

import { NntpClient, search } from "../lessons/13-network-news/solution.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.NNTP_PORT ?? 1119);
const [query, groupName = "comp.lang.python", ...extra] = process.argv.slice(2);
// The query is ONE argument: without quotes the shell would hand us "socket", "AND", … apart.
if (!query || extra.length > 0 || ["AND", "OR"].includes(groupName)) {
  console.error('usage: npx tsx examples/news-search.ts "word AND word OR word" [group]   (the query in quotes)');
  process.exit(2);
}

let client: NntpClient;
try {
  client = await NntpClient.connect(HOST, PORT);
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exit(1);
}

try {
  // #region search
  const { first, last } = await client.group(groupName);
  const articles = [];
  for (const overview of await client.over(`${first}-${last}`)) {
    const body = (await client.body(overview.number)).join("\n"); // one round trip per article
    articles.push({ ...overview, body });
  }
  const found = search(articles, query);
  // #endregion search
  console.log(`${found.length} of ${articles.length} articles in ${groupName} match ${JSON.stringify(query)}:`);
  for (const { number, subject } of found) console.log(`  ${number}  ${subject}`);
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.quit().catch(() => {});
}
