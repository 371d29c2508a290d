// The console's browse pages in a real browser (Debian's Chromium via playwright-core, as
// test/site/browser.test.ts launches it): a hostile HTML mail shows with nothing in it running
// or loading, the pages walk folders → messages → message, FTP and news work with the keyboard's
// links, and axe finds no serious accessibility problem, light or dark. Skipped without Chromium.

import http from "node:http";
import { existsSync, mkdirSync } from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sendMail, startTestPlayground, uploadFile, waitFor, type TestPlayground } from "./console-kit.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/servers/console-browse-browser.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (sudo apt-get install chromium, or set CHROMIUM=…)`);

const ARTIFACTS = path.join("test", "site", "artifacts");
const SLOW = 120_000;

describe.skipIf(!hasChromium)("the console's browse pages in Chromium", { retry: 1 }, () => {
  let playground: TestPlayground;
  let browser: Browser;
  let context: BrowserContext;
  let trap: http.Server; // a local "remote server": the hostile mail tries to reach it
  let trapUrl: string;
  const trapHits: string[] = [];
  const outside: string[] = [];
  let hostileId = "";

  /** The hostile part: every way an HTML mail could run code or phone home. */
  const hostileHtml = () => `<html><head><link rel="stylesheet" href="${trapUrl}/style.css"><style>body { background: url(${trapUrl}/background.png); }</style></head><body>
<h1 id="hello">Hello from an HTML mail</h1>
<script>window.top.postMessage("script ran", "*"); window.ranScript = true; fetch("${trapUrl}/script");</script>
<img src="broken" onerror="window.top.postMessage('onerror ran', '*'); new Image().src = '${trapUrl}/onerror';">
<img id="remote" alt="a tracking pixel" src="${trapUrl}/x.png">
<meta http-equiv="refresh" content="1; url=${trapUrl}/refresh">
<a id="plain-link" href="${trapUrl}/clicked">a plain link</a> <a id="self-link" target="_self" href="${trapUrl}/clicked-self">to self</a>
<a id="js-link" href="javascript:window.top.postMessage('link ran', '*'); void fetch('${trapUrl}/link')">click me</a>
<form action="${trapUrl}/form"><button id="submit">send</button></form>
<iframe src="${trapUrl}/frame"></iframe>
</body></html>`;

  beforeAll(async () => {
    trap = http.createServer((request, response) => {
      // /hostile-page: the same HTML as an ordinary web page, for the control test; anything else is a hit.
      if (request.url === "/hostile-page") return response.writeHead(200, { "Content-Type": "text/html" }).end(hostileHtml());
      trapHits.push(request.url ?? "");
      response.writeHead(404).end();
    });
    trap.listen(0, "127.0.0.1");
    await once(trap, "listening");
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;

    playground = await startTestPlayground();
    await sendMail(playground, { to: "friend@example.org", subject: "Hostile HTML", text: "The text part of the hostile mail.", html: hostileHtml(), attachments: [{ filename: "notes.txt", content: "attached\n" }] });
    await sendMail(playground, { to: "me@example.com", subject: "A plain note", text: "Line one.\nLine two." });
    await uploadFile(playground, "upload.txt", "uploaded\n");
    hostileId = await waitFor("the relayed hostile mail", async () => {
      const response = await fetch(`${playground.base}/console/api/mailboxes/friend@example.org/INBOX`);
      const list = (await response.json()) as { messages: { id: string }[] };
      return list.messages[0]?.id;
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    context.setDefaultNavigationTimeout(30_000);
    // Nothing may leave the machine; the trap server is on 127.0.0.1 so that a request to it is
    // not stopped here — it must be stopped by the page's sandbox and policy, and counted.
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "data:" || url.hostname === "127.0.0.1") return route.continue();
      outside.push(url.href);
      return route.abort();
    });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await playground?.close();
    trap?.close();
  });

  /** A page that records console errors, uncaught exceptions and every message posted to it. */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      // The mail's blocked loads are reported by Chromium as console errors: expected, not ours.
      if (message.type() === "error" && !message.text().includes("Content Security Policy") && !message.text().includes("sandboxed")) errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
    await page.addInitScript(`window.posted = []; addEventListener("message", (event) => window.posted.push(String(event.data)));`);
    await page.goto(url);
    return { page, errors };
  }

  test("the check itself can fail: the same HTML outside the sandbox does run and does load", { timeout: SLOW }, async () => {
    const page = await context.newPage();
    await page.addInitScript(`window.posted = []; addEventListener("message", (event) => window.posted.push(String(event.data)));`);
    await page.goto(`${trapUrl}/hostile-page`, { waitUntil: "domcontentloaded" }); // an ordinary page, no policy of its own
    await expect.poll(() => page.evaluate("window.posted")).toContain("script ran");
    await expect.poll(() => page.evaluate("window.posted")).toContain("onerror ran");
    for (const hit of ["/x.png", "/script", "/onerror", "/style.css"]) await expect.poll(() => trapHits).toContain(hit);
    expect(await page.evaluate("window.ranScript")).toBe(true);
    await page.close();
    trapHits.length = 0;
  });

  test("a hostile HTML mail: shown, and nothing in it runs or loads", { timeout: SLOW }, async () => {
    trapHits.length = 0;
    const { page, errors } = await open(`${playground.base}/console/mail.html#/friend@example.org/INBOX/m/${encodeURIComponent(hostileId)}`);
    await expect.poll(() => page.locator("#message-subject").innerText()).toBe("Hostile HTML");
    const frameElement = page.locator("iframe#html");
    expect(await frameElement.getAttribute("sandbox")).toBe(""); // no allow-scripts, no allow-same-origin
    const frame = page.frameLocator("iframe#html");
    await expect.poll(() => frame.locator("#hello").innerText()).toBe("Hello from an HTML mail"); // it IS shown
    await page.waitForTimeout(1500); // time for anything that was going to load (or refresh), to load
    // The remote image did not load: a picture that loaded has a width.
    expect(await frame.locator("#remote").evaluate((image: any) => image.naturalWidth)).toBe(0);
    // Try the links and the form by hand, as a reader might. The sandbox refuses javascript: and
    // the form; a plain link may only lead the frame to the console's own origin (the page's
    // frame-src 'self'), so the trap is never reached — the frame shows an error page instead.
    await frame.locator("#js-link").click();
    await frame.locator("#submit").click();
    await frame.locator("#plain-link").click();
    await page.waitForTimeout(1000);
    expect(await page.evaluate("window.posted")).toEqual([]);
    expect(await page.evaluate("window.ranScript")).toBeUndefined();
    expect(trapHits).toEqual([]);
    // The rest of the message is there: the text part, the journey, the attachment, the tree.
    expect(await page.locator("#text").innerText()).toContain("The text part of the hostile mail.");
    expect(await page.locator("#journey li").allInnerTexts()).toEqual([
      expect.stringMatching(/^MUA \[127\.0\.0\.1\]/),
      expect.stringMatching(/ESMTPSA.*MTA smtp\.example\.com/s),
      expect.stringMatching(/ESMTPS?\b.*MTA mx\.example\.org/s),
      expect.stringMatching(/stored.*MDA Maildir of friend@example\.org/s),
    ]);
    expect(await page.locator("#attachments a").innerText()).toBe("notes.txt");
    expect(await page.locator("#mime").innerText()).toContain("multipart/mixed");
    await page.locator("#raw-details summary").click();
    await expect.poll(() => page.locator("#raw .eol").count()).toBeGreaterThan(10);
    expect(await page.locator("#raw .eol").first().innerText()).toBe("\\r\\n");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "console-mail.png"), fullPage: true });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  test("mail: from the folder list to a message with the keyboard's links, and Back", { timeout: SLOW }, async () => {
    const { page, errors } = await open(`${playground.base}/console/mail.html`);
    await page.locator("#folders a", { hasText: "INBOX" }).last().click(); // me@example.com comes after friend@
    await expect.poll(() => page.locator("#messages tbody tr").count()).toBe(1);
    expect(await page.locator("#list-heading").innerText()).toBe("me@example.com — INBOX");
    await page.locator("#messages a", { hasText: "A plain note" }).press("Enter");
    await expect.poll(() => page.locator("#message-subject").innerText()).toBe("A plain note");
    expect(await page.evaluate("document.activeElement.id")).toBe("message-subject"); // focus follows
    expect(await page.locator("#html-section").isHidden()).toBe(true);
    expect(await page.locator("#journey li").count()).toBe(3);
    await page.goBack();
    await expect.poll(() => page.locator("#message").isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("FTP: browse into a folder, the upload in me's home downloads", { timeout: SLOW }, async () => {
    const { page, errors } = await open(`${playground.base}/console/ftp.html`);
    await page.locator("#entries a", { hasText: "home/" }).click();
    await page.locator("#entries a", { hasText: "me/" }).click();
    await expect.poll(() => page.locator("#folder-heading").innerText()).toBe("/home/me");
    const download = page.waitForEvent("download");
    await page.locator("#entries a", { hasText: "upload.txt" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe("upload.txt");
    await page.locator("#crumbs a", { hasText: "FTP" }).click();
    await page.locator("#entries a", { hasText: "pub/" }).click();
    await expect.poll(() => page.locator("#entries tbody tr").count()).toBeGreaterThan(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("news: a group's threads, an article", { timeout: SLOW }, async () => {
    const { page, errors } = await open(`${playground.base}/console/news.html`);
    await page.locator('#groups a[href="#/comp.lang.python"]').click();
    await expect.poll(() => page.locator("#threads a").count()).toBe(18);
    expect(await page.locator("#threads ul a").count()).toBeGreaterThan(0); // replies nested under their parents
    await page.locator("#threads a").first().click();
    await expect.poll(() => page.locator("#article").isVisible()).toBe(true);
    expect((await page.locator("#body").innerText()).length).toBeGreaterThan(20);
    // "Larger text" for a projector: the type grows, and stays so on the next page.
    const size = () => page.evaluate(`parseFloat(getComputedStyle(document.documentElement).fontSize)`) as Promise<number>;
    const normal = await size();
    await page.locator("#large-type").click();
    expect(await size()).toBeGreaterThan(normal * 1.4);
    expect(await page.locator("#large-type").getAttribute("aria-pressed")).toBe("true");
    await page.goto(`${playground.base}/console/ftp.html`);
    expect(await size()).toBeGreaterThan(normal * 1.4);
    await page.locator("#large-type").click();
    expect(await size()).toBe(normal);
    // "Colours" is on every tab too, and shared: dark here is dark on the Sessions page.
    const background = () => page.evaluate(`getComputedStyle(document.body).backgroundColor`) as Promise<string>;
    const lightness = async () => (await background()).match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
    await page.locator("#theme").click(); // auto → light
    expect(await page.locator("#theme").textContent()).toBe("Colours: light");
    expect(await lightness()).toBeGreaterThan(600);
    await page.locator("#theme").click(); // light → dark
    expect(await page.locator("#theme").textContent()).toBe("Colours: dark");
    expect(await lightness()).toBeLessThan(150);
    await page.goto(`${playground.base}/console/`);
    expect(await page.locator("#theme").textContent()).toBe("Colours: dark");
    expect(await lightness()).toBeLessThan(150);
    await page.locator("#theme").click(); // dark → auto
    expect(errors).toEqual([]);
    await page.close();
  });

  test("axe finds no serious or critical accessibility problems, in light and dark mode", { timeout: 4 * SLOW }, async () => {
    const axePath = path.resolve("node_modules", "axe-core", "axe.min.js");
    const problems: string[] = [];
    const views = [
      `mail.html#/friend@example.org/INBOX/m/${encodeURIComponent(hostileId)}`,
      "mail.html#/me@example.com/INBOX",
      "ftp.html#/pub",
      "news.html#/comp.lang.python/1201",
    ];
    // axe is put into the page as a script: only a context that lets the test bypass the pages'
    // CSP can do that (the other tests keep the CSP, which is what they check).
    const axeContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    for (const scheme of ["light", "dark"] as const) {
      for (const view of views) {
        const page = await axeContext.newPage();
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${playground.base}/console/${view}`);
        await page.waitForSelector("#status:not(:empty)", { state: "attached" });
        await page.evaluate(`document.querySelectorAll("details").forEach((d) => (d.open = true))`);
        await page.addScriptTag({ path: axePath });
        const violations = (await page.evaluate(`axe.run(document).then((result) =>
          result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " + n.failureSummary) })))`)) as { id: string; impact: string; targets: string[] }[];
        for (const v of violations) {
          if (v.impact === "serious" || v.impact === "critical") problems.push(`${scheme} ${view}: ${v.id} (${v.impact}) at ${v.targets.join(" | ")}`);
        }
        if (scheme === "dark" && view.startsWith("news")) await page.screenshot({ path: path.join(ARTIFACTS, "console-news-dark.png"), fullPage: true });
        await page.close();
      }
    }
    await axeContext.close();
    expect(problems).toEqual([]);
  });
});
