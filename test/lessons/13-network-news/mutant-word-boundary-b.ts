// Wrong answer: uses \b for whole words (\b never matches next to a Chinese character)
export * from "../../../lessons/13-network-news/solution.ts";

export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  const alternatives = query
    .trim()
    .split(/\s+OR\s+/)
    .map((part) => part.split(/\s+/).filter((term) => term !== "" && term !== "AND" && term !== "OR"))
    .filter((terms) => terms.length > 0);
  if (alternatives.length === 0) throw new Error(`nothing to search for in the query ${JSON.stringify(query)}`);
  const word = (term: string) => new RegExp(`\\b${term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i");
  return articles.filter((article) =>
    alternatives.some((terms) => terms.every((term) => word(term).test(article.subject) || word(term).test(article.body))),
  );
}
