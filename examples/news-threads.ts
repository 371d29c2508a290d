// A threaded newsreader's index (exercise 17-16): one OVER for the whole group, then the
// discussion trees built from each article's References: header.
//   npm start                                             (NNTP on 127.0.0.1:1119)
//   npx tsx examples/news-threads.ts                      comp.lang.python
//   npx tsx examples/news-threads.ts comp.protocols.tcp-ip
// HOST and NNTP_PORT say where the server is (127.0.0.1 and 1119).

import { NntpClient, buildThreads, type Overview, type Thread } from "../lessons/13-network-news/solution.ts";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.NNTP_PORT ?? 1119);
const [groupName = "comp.lang.python"] = process.argv.slice(2);

let client: NntpClient;
try {
  client = await NntpClient.connect(host, port);
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exit(1);
}

try {
  // #region threads
  const { first, last } = await client.group(groupName);
  const overviews = await client.over(`${first}-${last}`); // one line per article: no HEAD per article
  const threads = buildThreads(overviews);
  console.log(`${groupName}: ${overviews.length} articles in ${threads.length} threads\n`);
  for (const thread of threads) show(thread, "");
  // #endregion threads
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.quit().catch(() => {});
}

/** One line per article, replies indented under what they answer: "1205 Subject  (Name)". */
function show(thread: Thread<Overview>, indent: string): void {
  const { number, subject, from, references } = thread.article;
  const name = from.replace(/\s*<[^>]*>\s*/, "").replace(/^"|"$/g, "") || from;
  // A thread that starts with a reply: what it answers has expired from this server.
  const parentMissing = references.length > 0 && indent === "" ? "  [parent expired]" : "";
  console.log(`${indent}${number} ${indent ? "└ " : ""}${subject}  (${name})${parentMissing}`);
  for (const reply of thread.replies) show(reply, indent + "    ");
}
