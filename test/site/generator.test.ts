// The site generator on a tiny fixture repository: includes and regions, heading ids (Chinese too),
// callouts, link rewriting, hints/solution, transcripts — and that every mistake fails the build
// with a message naming the README and line.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { buildSite } from "../../site/build.ts";
import { extractRegion, parseInfo, parseLineRanges } from "../../site/includes.ts";
import { Slugger, slugify } from "../../site/slug.ts";
import { fakeTranscripts, FIXTURE_FILES, makeFixture } from "./fixture.ts";

const BUILD_TIMEOUT = 120_000; // the first build creates the highlighter: slow on a busy machine

describe("slugs", () => {
  test("are GitHub's: lower case, punctuation dropped, spaces become dashes", () => {
    expect(slugify("Break it")).toBe("break-it");
    expect(slugify("Receive: read until the server's FIN")).toBe("receive-read-until-the-servers-fin");
    expect(slugify("Connection: close")).toBe("connection-close");
    expect(slugify("What's a half-close?")).toBe("whats-a-half-close");
    expect(slugify("127.0.0.1, 0.0.0.0 and port 0")).toBe("127001-0000-and-port-0");
  });

  test("keep Chinese readable, not percent-encoded", () => {
    expect(slugify("端口与地址")).toBe("端口与地址");
    expect(slugify("TCP编程 (liaoxuefeng)")).toBe("tcp编程-liaoxuefeng");
    expect(slugify("UDP：无连接")).toBe("udp无连接"); // the full-width colon is punctuation too
  });

  test("repeats get -1, -2, even when a heading already looks like a repeat", () => {
    const slugger = new Slugger();
    expect(["Hints", "Hints", "Hints-1", "Hints"].map((text) => slugger.slug(text))).toEqual(["hints", "hints-1", "hints-1-1", "hints-2"]);
  });
});

describe("includes", () => {
  const source = FIXTURE_FILES["examples/echo.ts"]!;

  test("a region is its lines without markers, dedented", () => {
    expect(extractRegion(source, "pipe", "echo.ts")).toBe("socket.pipe(socket);");
    expect(extractRegion(source, "accept", "echo.ts")).toBe("const server = net.createServer((socket) => {\n  socket.pipe(socket);\n});");
  });

  test("without a region: the whole file, without any markers", () => {
    const whole = extractRegion(source, undefined, "echo.ts");
    expect(whole).not.toMatch(/#region|#endregion/);
    expect(whole).toContain('server.listen(8888, "127.0.0.1");');
  });

  test("a missing region names the file and the regions it has", () => {
    expect(() => extractRegion(source, "connect", "examples/echo.ts")).toThrow(/region "connect" not found in examples\/echo.ts.*accept, pipe/);
  });

  test("an unclosed region is an error", () => {
    expect(() => extractRegion("// #region a\nx\n", "a", "f.ts")).toThrow(/no "\/\/ #endregion"/);
  });

  test("info strings: language, include, line highlights", () => {
    const info = parseInfo("ts include=examples/echo.ts#accept {2,4-5}");
    expect(info.lang).toBe("ts");
    expect(info.include).toEqual({ file: "examples/echo.ts", region: "accept" });
    expect([...info.highlight]).toEqual([2, 4, 5]);
    expect(parseInfo("ts include=examples/echo.ts").include).toEqual({ file: "examples/echo.ts", region: undefined });
    expect(parseInfo("python").include).toBeUndefined();
    expect([...parseLineRanges("1-3,7")]).toEqual([1, 2, 3, 7]);
  });
});

describe("building the fixture site", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  async function build(changes: Record<string, string | null> = {}) {
    const fixture = makeFixture(changes);
    cleanup = fixture.cleanup;
    const result = await buildSite({ root: fixture.root, outDir: fixture.outDir, transcripts: fakeTranscripts, cache: false });
    const page = (url: string) => readFileSync(path.join(fixture.outDir, url), "utf8");
    return { ...fixture, result, page };
  }

  async function buildFails(changes: Record<string, string | null>): Promise<string> {
    const fixture = makeFixture(changes);
    cleanup = fixture.cleanup;
    const error = await buildSite({ root: fixture.root, outDir: fixture.outDir, transcripts: fakeTranscripts, cache: false }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error, "the build should have failed").toBeInstanceOf(Error);
    return error!.message;
  }

  test("a page per lesson, a home page, a code page per linked or included file", { timeout: BUILD_TIMEOUT }, async () => {
    const { outDir, result, page } = await build();
    expect(result.pages).toBe(4); // index, 2 lessons, examples/echo.ts
    for (const file of ["index.html", "lessons/00-start.html", "lessons/01-echo.html", "code/examples/echo.ts.html", "assets/site.js", "assets/style.css", "assets/search-index.js", "assets/minisearch.js", "assets/tokenize.js"]) {
      expect(existsSync(path.join(outDir, file)), file).toBe(true);
    }
    expect(page("index.html")).toContain('href="lessons/01-echo.html"');
    expect(page("index.html")).toContain("A <strong>tiny</strong> kit");
  });

  test("an included region is highlighted code from the file, with its line highlight and a link to the file", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    const html = page("lessons/01-echo.html");
    const block = html.slice(html.indexOf('<div class="code included">'));
    const code = block.slice(block.indexOf("<pre"), block.indexOf("</pre>"));
    const text = code.replace(/<[^>]+>/g, "").replace(/&gt;|&#x3E;/gi, ">").replace(/&lt;|&#x3C;/gi, "<");
    expect(text).toBe("const server = net.createServer((socket) => {\n  socket.pipe(socket);\n});");
    expect(text).not.toContain("#region");
    expect(block).toMatch(/<span class="line hl">.*socket.*pipe/);
    expect(block).toContain('<a href="../code/examples/echo.ts.html">examples/echo.ts (accept)</a>');
    expect(block).toContain("--shiki-dark:"); // both themes, as CSS variables
  });

  test("a missing region fails the build, naming the README and line", { timeout: BUILD_TIMEOUT }, async () => {
    const readme = FIXTURE_FILES["lessons/01-echo/README.md"]!.replace("#accept", "#acept");
    const message = await buildFails({ "lessons/01-echo/README.md": readme });
    expect(message).toContain("lessons/01-echo/README.md:5");
    expect(message).toContain('region "acept" not found in examples/echo.ts');
  });

  test("a missing file fails the build", { timeout: BUILD_TIMEOUT }, async () => {
    const message = await buildFails({ "examples/echo.ts": null, "lessons/01-echo/README.md": FIXTURE_FILES["lessons/01-echo/README.md"]!.replace(/See \[the whole.*\n/, "") });
    expect(message).toMatch(/lessons\/01-echo\/README.md:5: included file examples\/echo.ts does not exist/);
  });

  test("headings get GitHub-style ids, Chinese ones readable; the table of contents links them", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    const html = page("lessons/00-start.html");
    expect(html).toContain('<h2 id="端口与地址">');
    expect(html).toContain('<a href="#端口与地址">端口与地址</a>');
    expect(html).not.toMatch(/%E7/i);
  });

  test("links between READMEs become links between pages; repo files get code pages; folders become text", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    expect(page("lessons/00-start.html")).toContain('<a href="01-echo.html">the next lesson</a>');
    expect(page("lessons/00-start.html")).toContain('<a href="01-echo.html#break-it">Break it</a>');
    const echo = page("lessons/01-echo.html");
    expect(echo).toContain('<a href="../code/examples/echo.ts.html">the whole file</a>');
    expect(echo).toContain('<span class="repo-path">examples folder</span>');
    expect(echo).toContain('<a href="#break-it">below</a>');
  });

  test("a link to a file that does not exist fails the build", { timeout: BUILD_TIMEOUT }, async () => {
    const readme = FIXTURE_FILES["lessons/00-start/README.md"]! + "\nSee [gone](../../examples/gone.ts).\n";
    const message = await buildFails({ "lessons/00-start/README.md": readme });
    expect(message).toMatch(/lessons\/00-start\/README.md:11: broken link \.\.\/\.\.\/examples\/gone.ts/);
  });

  test("::: callouts hold any Markdown; an unknown kind or a missing ::: fails", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    const html = page("lessons/01-echo.html");
    expect(html).toMatch(/<div class="callout callout-tip" role="note">\n<p class="callout-title">Half-close<\/p>\n<p>A <strong>FIN<\/strong> closes one direction.<\/p>/);
    expect(html).toMatch(/callout-tip[\s\S]*>npm<[\s\S]*<\/div>\n<h2 id="break-it">/); // the code block is inside

    const unknown = await buildFails({ "lessons/00-start/README.md": "# Lesson 00 — x\n\n::: danger\nno\n:::\n" });
    expect(unknown).toMatch(/lessons\/00-start\/README.md:3: unknown callout "::: danger"/);
    const unclosed = await buildFails({ "lessons/00-start/README.md": "# Lesson 00 — x\n\n::: warning\nno end\n" });
    expect(unclosed).toMatch(/README.md:3: "::: warning" is never closed/);
  });

  test("hints are one closed <details> each, and the solution too, at the end of 'Your exercise'", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    const html = page("lessons/01-echo.html");
    expect(html.match(/<details class="hint">/g)).toHaveLength(2);
    expect(html).toContain("<summary>Hint 1: start small</summary>");
    expect(html).toMatch(/<details class="solution">[\s\S]*answer[\s\S]*<\/details>/);
    const order = ["id=\"your-exercise\"", "id=\"hints\"", "Hint 2: pipe", "id=\"solution\"", "id=\"summary\""].map((s) => html.indexOf(s));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("pages link each other: sidebar, previous/next, relative URLs only", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build();
    const html = page("lessons/00-start.html");
    expect(html).toContain('<a href="00-start.html" aria-current="page">');
    expect(html).toContain('<a class="next" rel="next" href="01-echo.html">');
    expect(html).not.toContain('rel="prev"');
    expect(html).not.toMatch(/(href|src)="\//); // nothing absolute: works from file://
    expect(html).not.toMatch(/(href|src)="https?:/); // and nothing from elsewhere
  });

  test("<!-- transcript: NAME --> becomes the transcript and its diagram; an unknown name fails", { timeout: BUILD_TIMEOUT }, async () => {
    const readme = FIXTURE_FILES["lessons/01-echo/README.md"]!.replace("Break it.\n", "Break it.\n\n<!-- transcript: echo -->\n");
    const { page } = await build({ "lessons/01-echo/README.md": readme });
    expect(page("lessons/01-echo.html")).toMatch(/<pre class="fake-transcript">C: hello\nS: hello<\/pre>\n<svg class="fake-diagram"/);

    const missing = await buildFails({ "lessons/01-echo/README.md": readme.replace("transcript: echo", "transcript: nope") });
    expect(missing).toMatch(/lessons\/01-echo\/README.md:\d+: transcript "nope" — no recorded transcript named nope/);
  });

  test("a lesson added later is picked up without changing the generator", { timeout: BUILD_TIMEOUT }, async () => {
    const { page } = await build({ "lessons/07-new/README.md": "# Lesson 07 — Something new\n\n## Run this\n\nx\n" });
    expect(page("lessons/07-new.html")).toMatch(/<h1 id="lesson-07--something-new">Lesson 07 — Something new<\/h1>/);
    expect(page("lessons/01-echo.html")).toContain('<a class="next" rel="next" href="07-new.html">');
  });
});
