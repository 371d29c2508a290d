// The built site in a real browser: Debian's Chromium driven by playwright-core. Skipped, with a
// message, where no Chromium is installed (a learner's laptop); CI installs it (`apt-get install chromium`).
//
// The site is built into a temporary folder and served by site/serve.ts on a free port of 127.0.0.1.
// Every request the pages make is watched: anything not on 127.0.0.1 (or file://) is blocked and
// fails the last test.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildSite } from "../../site/build.ts";
import { createSiteServer } from "../../site/serve.ts";
import { SEARCH_QUERIES } from "./search-queries.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`test/site/browser.test.ts: SKIPPED — no Chromium at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome.`);
}

const ARTIFACTS = path.join("test", "site", "artifacts");
const SLOW = 120_000;

// One retry: on a 2-core machine running the rest of the suite beside it, Chromium is sometimes
// starved long enough for a step to time out. A real bug fails both attempts.
describe.skipIf(!hasChromium)("the lesson site in Chromium", { retry: 1 }, () => {
  let outDir: string;
  let server: ReturnType<typeof createSiteServer>;
  let base: string; // http://127.0.0.1:PORT/
  let browser: Browser;
  let context: BrowserContext;
  const outside: string[] = []; // requests that tried to leave the machine
  let pageUrls: string[] = [];

  /** A page that records console errors and uncaught exceptions. */
  async function open(url: string, into: Page | undefined = undefined): Promise<{ page: Page; errors: string[] }> {
    const page = into ?? (await context.newPage());
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
    page.on("requestfailed", (request) => errors.push(`failed request: ${request.url()}`));
    await page.goto(url);
    return { page, errors };
  }

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "site-browser-"));
    await buildSite({ outDir });
    pageUrls = readdirSync(outDir, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".html"))
      .map((file) => file.split(path.sep).join("/"))
      .sort();
    server = createSiteServer(outDir);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    // playwright starts Chromium with a fresh, temporary --user-data-dir of its own
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // every wait names what it waited for instead of running into the test's own time limit
    context.setDefaultTimeout(30_000);
    context.setDefaultNavigationTimeout(30_000);
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "file:" || url.protocol === "data:" || url.hostname === "127.0.0.1") return route.continue();
      outside.push(url.href);
      return route.abort();
    });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  test("every page loads without console errors", { timeout: SLOW }, async () => {
    expect(pageUrls.length).toBeGreaterThan(10);
    const page = await context.newPage();
    const problems: string[] = [];
    for (const url of pageUrls) {
      const { errors } = await open(base + url, page);
      problems.push(...errors.map((error) => `${url}: ${error}`));
      page.removeAllListeners("console");
      page.removeAllListeners("pageerror");
      page.removeAllListeners("requestfailed");
    }
    await page.close();
    expect(problems).toEqual([]);
  });

  test("navigation: lesson list, next, previous, sidebar, table of contents", { timeout: SLOW }, async () => {
    const { page, errors } = await open(base + "index.html");
    await page.locator(".lesson-list a").first().click();
    await expect.poll(() => page.url()).toMatch(/lessons\/00-[\w-]+\.html$/);
    await page.locator("a[rel=next]").click();
    await expect.poll(() => page.url()).toMatch(/lessons\/01-[\w-]+\.html$/);
    await page.locator("#sidebar a", { hasText: "UDP" }).click();
    await expect.poll(() => page.url()).toMatch(/lessons\/05-udp\.html$/);
    expect(await page.locator('#sidebar a[aria-current="page"]').innerText()).toContain("UDP");
    await page.locator("a[rel=prev]").click();
    await expect.poll(() => page.url()).toMatch(/lessons\/04-framing\.html$/);
    await page.locator(".toc a", { hasText: "Break it" }).click();
    await expect.poll(() => page.url()).toMatch(/04-framing\.html#break-it$/);
    await page.locator(".brand").click();
    await expect.poll(() => page.url()).toMatch(/\/index\.html$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test.each(SEARCH_QUERIES)("search box: %j finds lesson %s in the top 3", { timeout: SLOW }, async (query, lesson) => {
    const { page, errors } = await open(base + "lessons/02-tcp-client.html");
    await page.locator("#search-input").fill(query);
    await page.locator(".search-list a, .search-status").first().waitFor();
    await expect.poll(() => page.locator(".search-list a").count()).toBeGreaterThan(0);
    const top = await page.locator(".search-list a").evaluateAll((links) => links.slice(0, 3).map((a) => String(a.getAttribute("href"))));
    expect(top.some((href) => href.includes(`/lessons/${lesson}.html`)), `top 3: ${top.join(", ")}`).toBe(true);
    // Enter opens the first result
    const first = new URL(top[0]!, page.url()).href;
    await page.locator("#search-input").press("Enter");
    await expect.poll(() => page.url()).toBe(first);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("opened from disk (file://), pages and search work too", { timeout: SLOW }, async () => {
    const { page, errors } = await open(pathToFileURL(path.join(outDir, "lessons", "05-udp.html")).href);
    await page.locator("#search-input").fill("framing");
    await expect.poll(() => page.locator(".search-list a").count()).toBeGreaterThan(0);
    await page.locator(".search-list a").first().click();
    await expect.poll(() => page.url()).toMatch(/^file:.*04-framing\.html/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("axe finds no serious or critical accessibility problems, in light and dark mode", { timeout: 4 * SLOW }, async () => {
    const axePath = path.resolve("node_modules", "axe-core", "axe.min.js");
    const problems: string[] = [];
    const page = await context.newPage();
    const checks: [theme: string, url: string][] = [
      ["light", "index.html"],
      ["light", "lessons/02-tcp-client.html"],
      ["light", "lessons/04-framing.html"],
      ["light", "code/examples/tcp-echo-server.ts.html"],
      ["dark", "lessons/02-tcp-client.html"],
      ["dark", "code/examples/tcp-echo-server.ts.html"],
    ];
    {
      for (const [theme, url] of checks) {
        await page.goto(base + url);
        // (the page's code is given as text: this file is type-checked without the DOM's types)
        await page.evaluate(`document.documentElement.dataset.theme = "${theme}";
          document.querySelectorAll("details").forEach((d) => (d.open = true)); // check the hints' contents too`);
        await page.addScriptTag({ path: axePath });
        const violations = (await page.evaluate(`axe.run(document).then((result) =>
          result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))`)) as { id: string; impact: string; targets: string[] }[];
        for (const v of violations) {
          if (v.impact === "serious" || v.impact === "critical") problems.push(`${theme} ${url}: ${v.id} (${v.impact}) at ${v.targets.join(" | ")}`);
        }
      }
    }
    await page.close();
    expect(problems).toEqual([]);
  });

  test("dark mode: the switch changes the colours, and is remembered", { timeout: SLOW }, async () => {
    const { page } = await open(base + "lessons/03-tcp-server.html");
    await page.evaluate(`localStorage.removeItem("theme")`);
    await page.emulateMedia({ colorScheme: "light" });
    await page.reload();
    const background = () => page.evaluate(`getComputedStyle(document.body).backgroundColor`);
    const light = await background();
    await page.locator(".theme-button").click();
    expect(await background()).not.toBe(light);
    await page.reload();
    expect(await page.evaluate(`document.documentElement.dataset.theme`)).toBe("dark");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "lesson-dark.png") });
    await page.locator(".theme-button").click(); // back to light for the other tests
    await page.close();
  });

  test("search results show a snippet with the term marked", { timeout: SLOW }, async () => {
    const { page, errors } = await open(base + "lessons/02-tcp-client.html");
    await page.locator("#search-input").fill("PASV");
    await expect.poll(() => page.locator(".search-list .r-snippet mark").count()).toBeGreaterThan(0);
    expect((await page.locator(".search-list .r-snippet mark").first().innerText()).toUpperCase()).toBe("PASV");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("on a 390 px phone the header shows the whole name, and no Copy button hides code", { timeout: SLOW }, async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await phone.newPage();
    await page.goto(base + "lessons/02-tcp-client.html");
    const brand = page.locator(".brand");
    expect(await brand.evaluate((el) => el.scrollWidth <= el.clientWidth), "the brand is not cut").toBe(true);
    expect(await page.evaluate(`document.documentElement.scrollWidth <= window.innerWidth`), "no sideways scrolling").toBe(true);
    // For every code block: the first line's text ends left of its Copy button, or the block made room above.
    const overlaps = await page.evaluate(`[...document.querySelectorAll("div.code > .copy-button")].filter((button) => {
      const block = button.parentNode, first = block.querySelector("pre .line");
      if (!first) return false;
      const range = document.createRange(); range.selectNodeContents(first);
      const text = range.getBoundingClientRect(), box = button.getBoundingClientRect();
      return text.right > box.left && text.bottom > box.top && text.top < box.bottom;
    }).length`);
    expect(overlaps, "code blocks whose first line runs under the Copy button").toBe(0);
    await phone.close();
  });

  test("copy buttons copy the code", { timeout: SLOW }, async () => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base.replace(/\/$/, "") });
    const { page, errors } = await open(base + "lessons/03-tcp-server.html");
    const block = page.locator("div.code.included").first();
    await block.locator(".copy-button").click();
    await expect.poll(() => block.locator(".copy-button").innerText()).toBe("Copied");
    const copied = String(await page.evaluate(`navigator.clipboard.readText()`));
    expect(copied).toContain("socket.pipe(socket);");
    expect(copied).not.toContain("#region");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("without JavaScript: pages read fine, hints and the solution still open", { timeout: SLOW }, async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const page = await noJs.newPage();
    await page.goto(base + "lessons/03-tcp-server.html");
    const hint = page.locator("details.hint").first();
    await hint.locator("summary").click();
    expect(await hint.getAttribute("open")).not.toBeNull();
    await page.locator("details.solution summary").click();
    await expect.poll(() => page.locator("details.solution pre").isVisible()).toBe(true);
    expect(await page.locator("#sidebar").isVisible()).toBe(true);
    await noJs.close();
  });

  test("on a phone: the lesson list hides behind a button", { timeout: SLOW }, async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    await page.goto(base + "lessons/04-framing.html");
    expect(await page.locator("#sidebar").isVisible()).toBe(false);
    const overflow = Number(await page.evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`));
    expect(overflow, "the page must not scroll sideways").toBeLessThanOrEqual(0);
    await page.locator(".menu-button").click();
    expect(await page.locator("#sidebar").isVisible()).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "lesson-phone.png") });
    await phone.close();
  });

  test("a screenshot of a lesson page is saved", { timeout: SLOW }, async () => {
    const { page } = await open(base + "lessons/04-framing.html");
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, "lesson.png");
    await page.screenshot({ path: file, fullPage: false });
    expect(existsSync(file)).toBe(true);
    await page.close();
  });

  test("no request ever left 127.0.0.1", () => {
    expect(outside).toEqual([]);
  });
});
