// The site shows conversations recorded from real runs (site/transcripts/*.json). This test
// records every scenario again — real servers, real clients, on loopback — and fails when
// a recording differs from the committed one: then the code changed and the site would
// show a conversation that no longer happens. `npm run transcripts` updates the files.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { recordAll, scenarioNames, staleFiles, transcriptJson } from "../../site/record-transcripts.ts";
import { TRANSCRIPTS_DIR, type Transcript } from "../../site/transcript-render.ts";

/** "" when equal, else which line differs first and how. */
function firstDifference(name: string, committed: string, recorded: string): string {
  if (committed === recorded) return "";
  const a = committed.split("\n");
  const b = recorded.split("\n");
  let line = 0;
  while (a[line] === b[line]) line++;
  return [
    `transcript "${name}" drifted: site/transcripts/${name}.json line ${line + 1} differs`,
    `  committed: ${a[line] ?? "(end of file)"}`,
    `  recorded:  ${b[line] ?? "(end of file)"}`,
    "If the change is intended, run npm run transcripts to update the recordings (and commit them).",
  ].join("\n");
}

describe("recorded transcripts match the code", () => {
  let recorded: Map<string, Transcript>;
  beforeAll(async () => {
    recorded = await recordAll();
  }, 300_000);

  test.each(scenarioNames())("%s", (name) => {
    let committed = "";
    try {
      committed = readFileSync(join(TRANSCRIPTS_DIR, `${name}.json`), "utf8");
    } catch {
      expect.fail(`site/transcripts/${name}.json is missing — run npm run transcripts to record it`);
    }
    const difference = firstDifference(name, committed, transcriptJson(recorded.get(name)!));
    expect(difference, difference).toBe("");
  });

  test("no recording is left over from a removed scenario", () => {
    expect(staleFiles(), "these have no scenario in site/transcripts/scenarios.ts — run npm run transcripts to remove them").toEqual([]);
  });

  test("firstDifference names the transcript, the line, and the fix", () => {
    const message = firstDifference("x", "a\nb\nc\n", "a\nB\nc\n");
    expect(message).toContain('transcript "x" drifted: site/transcripts/x.json line 2 differs');
    expect(message).toContain("committed: b");
    expect(message).toContain("recorded:  B");
    expect(message).toContain("run npm run transcripts to update");
    expect(firstDifference("x", "same\n", "same\n")).toBe("");
  });
});
