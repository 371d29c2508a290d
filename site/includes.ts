// Code on the site comes from the real files, never from a copy in the README: a fenced block
//
//   ```ts include=examples/tcp-echo-server.ts#accept {2,4-5}
//   ```
//
// is filled at build time with the lines between `// #region accept` and `// #endregion` in that
// file (markers removed, common indentation removed), and lines 2, 4 and 5 of the listing are
// highlighted. Without `#accept` the whole file is shown. If the file or the region is missing the
// build fails, so the site cannot show code that no longer exists.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface IncludeSpec {
  lang: string;
  /** repo-relative path, e.g. examples/tcp-echo-server.ts */
  file: string;
  region?: string;
  highlight: Set<number>;
}

/** A line that opens or closes a region: `// #region name`, `// #endregion`, or the same after `#`. */
const REGION_START = /^\s*(?:\/\/|#)\s*#region\s+(\S+)\s*$/;
const REGION_END = /^\s*(?:\/\/|#)\s*#endregion\b.*$/;

/** Parses a fence's info string: `ts include=path#region {1,3-4}`; undefined if there is no include=. */
export function parseInfo(info: string): { lang: string; include?: { file: string; region?: string }; highlight: Set<number> } {
  const words = info.trim().split(/\s+/);
  const lang = words[0] ?? "";
  let include: { file: string; region?: string } | undefined;
  let highlight = new Set<number>();
  for (const word of words.slice(1)) {
    if (word.startsWith("include=")) {
      const [file = "", region] = word.slice("include=".length).split("#");
      include = { file, region: region || undefined };
    } else if (/^\{[\d,\s-]+\}$/.test(word)) {
      highlight = parseLineRanges(word.slice(1, -1));
    }
  }
  return { lang, include, highlight };
}

/** "2,4-5" → {2, 4, 5} */
export function parseLineRanges(ranges: string): Set<number> {
  const lines = new Set<number>();
  for (const part of ranges.split(",")) {
    const [from, to] = part.trim().split("-").map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let line = from; line <= (to ?? from); line++) lines.add(line);
  }
  return lines;
}

/**
 * The text of one region of a source file (or all of it), without any region marker lines and
 * with the common indentation removed. Throws an Error whose message says what is missing.
 */
export function extractRegion(source: string, region: string | undefined, fileLabel: string): string {
  const lines = source.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  if (region === undefined) return dedent(lines.filter((line) => !REGION_START.test(line) && !REGION_END.test(line)));

  const picked: string[] = [];
  let depth = 0; // > 0 while inside the wanted region; nested regions inside it only add depth
  let found = false;
  for (const line of lines) {
    const start = REGION_START.exec(line);
    if (depth === 0) {
      if (start && start[1] === region) {
        depth = 1;
        found = true;
      }
      continue;
    }
    if (start) depth++;
    else if (REGION_END.test(line)) {
      depth--;
      if (depth === 0) break;
    } else picked.push(line);
  }
  if (!found) {
    const names = lines.map((line) => REGION_START.exec(line)?.[1]).filter(Boolean);
    throw new Error(
      `region "${region}" not found in ${fileLabel} — add "// #region ${region}" … "// #endregion" around the lines to show` +
        (names.length ? ` (regions in that file: ${names.join(", ")})` : " (that file has no regions yet)"),
    );
  }
  if (depth !== 0) throw new Error(`region "${region}" in ${fileLabel} has no "// #endregion"`);
  return dedent(picked);
}

function dedent(lines: string[]): string {
  const indents = lines.filter((line) => line.trim() !== "").map((line) => /^[ \t]*/.exec(line)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common)).join("\n");
}

/** Reads `file` (repo-relative) under `root` and returns the region's code. */
export function readInclude(root: string, file: string, region: string | undefined): string {
  const absolute = path.resolve(root, file);
  if (!absolute.startsWith(path.resolve(root) + path.sep)) throw new Error(`include=${file} points outside the repository`);
  if (!existsSync(absolute)) throw new Error(`included file ${file} does not exist`);
  return extractRegion(readFileSync(absolute, "utf8"), region, file);
}
