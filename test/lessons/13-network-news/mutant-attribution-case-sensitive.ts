// Wrong answer: recognises attributions only in lower case (misses 'Tom Wrote:', 'In Article')
export * from "../../../lessons/13-network-news/solution.ts";

export function meaningfulLines(lines: string[], limit = 20): string[] {
  const kept: string[] = [];
  let count = 0;
  for (const raw of lines) {
    if (count === limit) break;
    const line = raw.trimEnd();
    if (line === "") {
      if (kept.length > 0 && kept.at(-1) !== "") kept.push("");
      continue;
    }
    if ((line.startsWith(">") && !/^>>>( |$)/.test(line)) || line.startsWith("|")) continue;
    if (line.startsWith("In article") || line.endsWith("wrote:") || line.endsWith("writes:")) continue;
    kept.push(line);
    count++;
  }
  if (kept.at(-1) === "") kept.pop();
  return kept;
}
