// A lesson README must read whole wherever it is opened — an editor, a Git host's file view —
// not only on the built site. So the code a README includes and the conversations it shows are
// written into the README itself, copied from their one true source:
//
//   ```ts include=examples/tcp-echo-server.ts#accept      the fence's body is that region of the file
//   ```
//
//   <!-- transcript: tcp-echo -->                         followed by a text copy of the recording
//   …                                                      (site/transcripts/tcp-echo.json)
//   <!-- /transcript -->
//
// `npm run includes` rewrites every lesson README from its sources (`npm run transcripts` does it
// too, after recording). test/site/readme-sync.test.ts fails when a README differs from what this
// file would write, so a README cannot drift from the code or the recordings. The site keeps
// rendering both from the sources (highlighted code, the transcript with its sequence diagram).

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseInfo, readInclude } from "./includes.ts";
import { loadTranscript, transcriptMarkdown } from "./transcript-render.ts";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const FENCE_OPEN = /^(\s*)(`{3,})(.*)$/;
const TRANSCRIPT = /^<!--\s*transcript:\s*([\w.-]+)\s*-->\s*$/;
const TRANSCRIPT_END = /^<!--\s*\/transcript\s*-->\s*$/;

/** The README as it should be: every include fence filled, every transcript followed by its text. */
export function syncReadme(markdown: string, root = REPO_ROOT): string {
  const lines = markdown.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const [, indent = "", ticks = "", info = ""] = fence;
      const close = lines.findIndex((other, j) => j > i && other.trim() === ticks);
      if (close === -1) throw new Error(`line ${i + 1}: a code fence that is never closed`);
      const { include } = parseInfo(info);
      if (include) {
        const code = readInclude(root, include.file, include.region);
        out.push(line, ...code.split("\n").map((codeLine) => (codeLine === "" ? "" : indent + codeLine)), lines[close]!);
      } else {
        out.push(...lines.slice(i, close + 1)); // an ordinary code block: left as it is
      }
      i = close;
      continue;
    }
    const transcript = TRANSCRIPT.exec(line.trim());
    if (transcript) {
      const nextMarker = lines.findIndex((other, j) => j > i && TRANSCRIPT.test(other.trim()));
      const end = lines.findIndex((other, j) => j > i && (nextMarker === -1 || j < nextMarker) && TRANSCRIPT_END.test(other.trim()));
      out.push(line, "", transcriptMarkdown(loadTranscript(transcript[1]!)), "", "<!-- /transcript -->");
      if (end !== -1) i = end; // replace the copy written last time
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** Every lesson README, repo-relative. */
export function lessonReadmes(root = REPO_ROOT): string[] {
  return readdirSync(path.join(root, "lessons"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .map((entry) => `lessons/${entry.name}/README.md`)
    .sort();
}

/** Rewrites the READMEs that differ from their sources; returns the ones it changed. */
export function syncAllReadmes(root = REPO_ROOT): string[] {
  const changed: string[] = [];
  for (const readme of lessonReadmes(root)) {
    const file = path.join(root, readme);
    const before = readFileSync(file, "utf8");
    const after = syncReadme(before, root);
    if (after !== before) {
      writeFileSync(file, after);
      changed.push(readme);
    }
  }
  return changed;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const changed = syncAllReadmes();
  console.log(changed.length === 0 ? "Every lesson README is up to date." : `Updated: ${changed.join(", ")}`);
}
