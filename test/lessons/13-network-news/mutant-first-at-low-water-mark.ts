// Wrong answer: takes GROUP's low water mark as the first article (it may have expired)
export * from "../../../lessons/13-network-news/solution.ts";
import { NntpError, type ArticlePointer, type NntpClient } from "../../../lessons/13-network-news/solution.ts";

export async function firstAndLatest(client: NntpClient, group: string): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  const { first, last } = await client.group(group);
  const firstArticle = await client.stat(first); // "the first article is number first"
  for (let number = last; number >= first; number--) {
    try {
      return { first: firstArticle, latest: await client.stat(number) };
    } catch (err) {
      if (!(err instanceof NntpError && err.code === 423)) throw err;
    }
  }
  return { first: firstArticle, latest: firstArticle };
}
