// Wrong answer: matches terms case-sensitively ('recv' does not find 'RECV()')
export * from "../../../lessons/13-network-news/solution.ts";

export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  const alternatives = query
    .trim()
    .split(/\s+OR\s+/)
    .map((part) => part.split(/\s+/).filter((term) => term !== "" && term !== "AND" && term !== "OR"))
    .filter((terms) => terms.length > 0);
  if (alternatives.length === 0) throw new Error(`nothing to search for in the query ${JSON.stringify(query)}`);
  const word = (term: string) => new RegExp(`(?<![A-Za-z0-9_])${term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`);
  return articles.filter((article) =>
    alternatives.some((terms) => terms.every((term) => word(term).test(article.subject) || word(term).test(article.body))),
  );
}
