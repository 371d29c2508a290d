// Wrong answer: keeps the articles in the order it was given, not in article-number order
export * from "../../../lessons/13-network-news/solution.ts";
import type { Thread } from "../../../lessons/13-network-news/solution.ts";

export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(overviews: T[]): Thread<T>[] {
  const nodes = new Map<string, Thread<T>>();
  for (const article of overviews) nodes.set(article.messageId, { article, replies: [] });
  const roots: Thread<T>[] = [];
  for (const article of overviews) {
    const node = nodes.get(article.messageId)!;
    const parentId = [...article.references].reverse().find((id) => nodes.has(id) && id !== article.messageId);
    if (parentId === undefined) roots.push(node);
    else nodes.get(parentId)!.replies.push(node);
  }
  return roots;
}
