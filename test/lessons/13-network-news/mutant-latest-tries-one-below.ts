// Wrong answer: looks for the latest article at GROUP's high number and the one below it only
// Enough when one article expired at the top; not when the two newest are gone.
export * from "../../../lessons/13-network-news/solution.ts";
import { NntpError, type ArticlePointer, type NntpClient } from "../../../lessons/13-network-news/solution.ts";

export async function firstAndLatest(client: NntpClient, group: string): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  const { last } = await client.group(group);
  const first = await client.stat();
  try {
    return { first, latest: await client.stat(last) };
  } catch (err) {
    if (!(err instanceof NntpError && err.code === 423)) throw err;
    return { first, latest: await client.stat(last - 1) }; // the newest expired: the one before it
  }
}
