// Wrong answer: walks down from the high water mark on every error, not only on 423
// A lost connection or a 412 then looks like "this article expired" and the walk goes on.
export * from "../../../lessons/13-network-news/solution.ts";
import type { ArticlePointer, NntpClient } from "../../../lessons/13-network-news/solution.ts";

export async function firstAndLatest(client: NntpClient, group: string): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  const { last } = await client.group(group);
  const first = await client.stat();
  for (let number = last; number >= first.number; number--) {
    try {
      return { first, latest: await client.stat(number) };
    } catch {
      // not there: try the one below
    }
  }
  return { first, latest: first };
}
