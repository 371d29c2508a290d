// Wrong answer: lets a reference to a LATER article be the parent (a loop drops both articles)
export * from "../../../lessons/13-network-news/solution.ts";
import type { Thread } from "../../../lessons/13-network-news/solution.ts";

export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(overviews: T[]): Thread<T>[] {
  const sorted = [...overviews].sort((a, b) => a.number - b.number);
  const nodes = new Map<string, Thread<T>>();
  for (const article of sorted) nodes.set(article.messageId, { article, replies: [] });
  const roots: Thread<T>[] = [];
  for (const article of sorted) {
    const node = nodes.get(article.messageId)!;
    const parentId = [...article.references].reverse().find((id) => nodes.has(id) && id !== article.messageId);
    if (parentId === undefined) roots.push(node);
    else nodes.get(parentId)!.replies.push(node);
  }
  return roots;
}
