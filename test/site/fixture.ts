// A tiny repository to build sites from in the generator tests: two lessons, an example with
// regions, hints and a solution. Each test gets its own copy and changes what it needs.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TranscriptRenderer } from "../../site/markdown.ts";

export const FIXTURE_FILES: Record<string, string> = {
  "README.md": "# Fixture\n\nA **tiny** kit for the site tests.\n",
  "examples/echo.ts": [
    'import net from "node:net";',
    "",
    "// #region accept",
    "const server = net.createServer((socket) => {",
    "  // #region pipe",
    "  socket.pipe(socket);",
    "  // #endregion pipe",
    "});",
    "// #endregion accept",
    'server.listen(8888, "127.0.0.1");',
    "",
  ].join("\n"),
  "lessons/00-start/README.md": [
    "# Lesson 00 — Getting started",
    "",
    "## What you will learn",
    "",
    "Read [the next lesson](../01-echo/README.md) and its [Break it](../01-echo/README.md#break-it) part.",
    "",
    "## 端口与地址",
    "",
    "Ports (端口) and addresses.",
    "",
  ].join("\n"),
  "lessons/01-echo/README.md": [
    "# Lesson 01 — An echo server",
    "",
    "## How it works",
    "",
    "```ts include=examples/echo.ts#accept {2}",
    "```",
    "",
    "See [the whole file](../../examples/echo.ts), the [examples folder](../../examples/) and [below](#break-it).",
    "",
    "::: tip Half-close",
    "A **FIN** closes one direction.",
    "",
    "```sh",
    "npm start",
    "```",
    ":::",
    "",
    "## Break it",
    "",
    "Break it.",
    "",
    "## Your exercise",
    "",
    "Write it.",
    "",
    "## Summary",
    "",
    "Done.",
    "",
  ].join("\n"),
  "lessons/01-echo/hints.md": "# Hints\n\n## Hint 1: start small\n\nListen first.\n\n## Hint 2: pipe\n\nUse `pipe`.\n",
  "lessons/01-echo/solution.ts": 'export const answer = "pipe";\n',
};

/** A copy of the fixture repo in a temporary folder, with `changes` applied (null deletes a file). */
export function makeFixture(changes: Record<string, string | null> = {}): { root: string; outDir: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), "site-fixture-"));
  for (const [file, text] of Object.entries({ ...FIXTURE_FILES, ...changes })) {
    if (text === null) continue;
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return { root, outDir: path.join(root, "out"), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A stand-in for site/transcript-render.ts: knows one transcript, "echo". */
export const fakeTranscripts: TranscriptRenderer = {
  loadTranscript(name: string) {
    if (name !== "echo") throw new Error(`no recorded transcript named ${name}`);
    return { name, lines: ["C: hello", "S: hello"] };
  },
  renderTranscript: ((t: { lines: string[] }) => `<pre class="fake-transcript">${t.lines.join("\n")}</pre>`) as never,
  renderSequenceDiagram: ((t: { name: string }) => `<svg class="fake-diagram" role="img" aria-label="${t.name}"></svg>`) as never,
};
