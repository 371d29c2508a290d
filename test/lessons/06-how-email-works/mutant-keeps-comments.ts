// Wrong answer: looks for by/from without removing (comments) first
// Looks for "from" and "by" without removing the (comments) first. qmail's
// "(qmail 4321 invoked by uid 1000)" then reads as a hop "by uid", and
// "(Authenticated sender: me; by webmail)" as a hop "by webmail)".
export * from "../../../lessons/06-how-email-works/solution.ts";
import { unfoldHeaders, type Hop } from "../../../lessons/06-how-email-works/solution.ts";

export function receivedHops(raw: string): Hop[] {
  return unfoldHeaders(raw)
    .filter((header) => header.name.toLowerCase() === "received")
    .reverse()
    .map(({ value }) => {
      const semicolon = value.lastIndexOf(";");
      const clauses = semicolon === -1 ? value : value.slice(0, semicolon);
      const date = semicolon === -1 ? null : new Date(value.slice(semicolon + 1).trim());
      const words = clauses.split(/\s+/);
      const after = (keyword: string) => {
        const index = words.findIndex((word) => word.toLowerCase() === keyword);
        return index === -1 ? null : (words[index + 1] ?? null);
      };
      return { from: after("from"), by: after("by"), date: date && !Number.isNaN(date.getTime()) ? date : null };
    });
}
