// Wrong answer: matches terms inside longer words (substring, not whole word)
// A term matches anywhere, also inside longer words ("recv" finds "recvfrom",
// "udp" finds "udpate"): a search must match whole words.
export * from "../../../lessons/13-network-news/solution.ts";

export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  const alternatives = query
    .trim()
    .split(/\s+OR\s+/)
    .map((part) => part.split(/\s+/).filter((term) => term !== "" && term !== "AND" && term !== "OR"))
    .filter((terms) => terms.length > 0);
  if (alternatives.length === 0) throw new Error(`nothing to search for in the query ${JSON.stringify(query)}`);
  const contains = (text: string, term: string) => text.toLowerCase().includes(term.toLowerCase());
  return articles.filter((article) =>
    alternatives.some((terms) => terms.every((term) => contains(article.subject, term) || contains(article.body, term))),
  );
}
