// A lesson README reads whole outside the site: its included code and its transcripts are
// written into it (site/readme-sync.ts). This fails when an example or a recording changed and
// the README was not brought along — or when a README still has an empty include fence.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { lessonReadmes, REPO_ROOT, syncReadme } from "../../site/readme-sync.ts";

describe.each(lessonReadmes())("%s", (readme) => {
  const text = readFileSync(path.join(REPO_ROOT, readme), "utf8");

  test("its included code and transcripts match their sources", () => {
    const synced = syncReadme(text);
    if (synced === text) return;
    const [a, b] = [text.split("\n"), synced.split("\n")];
    const line = a.findIndex((l, i) => l !== b[i]);
    expect.fail(
      `${readme} line ${line + 1} differs from its source:\n  README:  ${a[line] ?? "(end of file)"}\n  source:  ${b[line] ?? "(end of file)"}\n` +
        "Run npm run includes (code) or npm run transcripts (recordings) to update the README, and commit it.",
    );
  });

  test("no include fence is empty and every transcript has its text", () => {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (/^\s*```.*include=/.test(line)) expect(lines[i + 1]?.trim(), `${readme} line ${i + 1}: empty include fence`).not.toMatch(/^```$/);
      if (/^<!--\s*transcript:/.test(line.trim())) expect(lines[i + 1], `${readme} line ${i + 1}: transcript without its text`).toBe("");
    });
  });
});

test("a changed example makes a README differ (the check can fail)", () => {
  const readme = lessonReadmes().find((file) => readFileSync(path.join(REPO_ROOT, file), "utf8").includes("include="))!;
  const text = readFileSync(path.join(REPO_ROOT, readme), "utf8");
  const fence = text.split("\n").findIndex((line) => /^\s*```.*include=/.test(line));
  const lines = text.split("\n");
  lines[fence + 1] = `${lines[fence + 1]} // changed`;
  expect(syncReadme(lines.join("\n"))).toBe(text);
});
