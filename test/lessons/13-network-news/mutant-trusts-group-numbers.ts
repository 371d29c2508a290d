// Wrong answer: trusts GROUP's first and last numbers (an expired article answers 423)
// Takes GROUP's low and high water marks as the first and latest articles. They
// are only bounds: when those articles have expired, STAT answers 423.
export * from "../../../lessons/13-network-news/solution.ts";
import type { ArticlePointer, NntpClient } from "../../../lessons/13-network-news/solution.ts";

export async function firstAndLatest(client: NntpClient, group: string): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  const { first, last } = await client.group(group);
  return { first: await client.stat(first), latest: await client.stat(last) };
}
