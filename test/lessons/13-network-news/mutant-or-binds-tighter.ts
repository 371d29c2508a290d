// Wrong answer: lets OR bind tighter than AND
// OR binds tighter than AND, so "c OR a AND b" means "(c OR a) AND b" instead of
// "c OR (a AND b)" as in SQL and search engines.
export * from "../../../lessons/13-network-news/solution.ts";

export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  // Terms joined by OR make one clause, and every clause must match.
  const required: string[][] = [];
  let joinNext = false;
  for (const token of query.trim().split(/\s+/)) {
    if (token === "" || token === "AND") continue;
    if (token === "OR") {
      joinNext = true;
      continue;
    }
    if (joinNext && required.length > 0) required.at(-1)!.push(token);
    else required.push([token]);
    joinNext = false;
  }
  if (required.length === 0) throw new Error(`nothing to search for in the query ${JSON.stringify(query)}`);
  const word = (term: string) => new RegExp(`(?<![A-Za-z0-9_])${term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`, "i");
  const clauses = required.map((terms) => terms.map(word));
  return articles.filter((article) =>
    clauses.every((terms) => terms.some((term) => term.test(article.subject) || term.test(article.body))),
  );
}
