// Wrong answer: counts blank lines towards the limit
export * from "../../../lessons/13-network-news/solution.ts";

export function meaningfulLines(lines: string[], limit = 20): string[] {
  const kept: string[] = [];
  let count = 0;
  for (const raw of lines) {
    if (count === limit) break;
    const line = raw.trimEnd();
    if (line === "") {
      if (kept.length > 0 && kept.at(-1) !== "") {
        kept.push("");
        count++; // a line is a line
      }
      continue;
    }
    const lower = line.toLowerCase();
    if ((line.startsWith(">") && !/^>>>( |$)/.test(line)) || line.startsWith("|")) continue;
    if (lower.startsWith("in article") || lower.endsWith("wrote:") || lower.endsWith("writes:")) continue;
    kept.push(line);
    count++;
  }
  if (kept.at(-1) === "") kept.pop();
  return kept;
}
