// The FTP page's transfers in a real browser (Debian's Chromium via playwright-core, as
// console-browse-browser.test.ts): a RETR held in the middle by its client shows as a named
// <progress> bar with its numbers, then "done" at 100%; screen readers are told it started and
// ended, not each update; axe finds no serious problem with a transfer on screen, light or dark.
// Skipped without Chromium.

import { existsSync, mkdirSync } from "node:fs";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawFtp } from "./ftp-kit.ts";
import { startTestConsole, type TestConsole } from "./console-live-kit.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/servers/console-transfers-browser.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (sudo apt-get install chromium, or set CHROMIUM=…)`);

const ARTIFACTS = path.join("test", "site", "artifacts");
const SLOW = 120_000;
const BIG = 48 * 1024 * 1024;

describe.skipIf(!hasChromium)("FTP transfers on the console's FTP page, in Chromium", { retry: 1 }, () => {
  let running: TestConsole;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    running = await startTestConsole();
    const big = join(running.dataDir, "ftp", "home", "me", "big.bin");
    await writeFile(big, "");
    await truncate(big, BIG); // sparse: 48 MiB to send, next to nothing on the disk
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  test("a held RETR: a labelled progress bar with bytes of the total, then done; announced twice, not per update; axe is content", { timeout: 3 * SLOW }, async () => {
    // bypassCSP only so that axe can be put into the page as a script.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => message.type() === "error" && errors.push(`console: ${message.text()}`));
    page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
    // Every text the live region is given, in order: what a screen reader would be told (on the FTP page, which has it).
    await page.addInitScript(`window.said = [];
      addEventListener("DOMContentLoaded", () => document.getElementById("transfer-news") && new MutationObserver(() => window.said.push(document.getElementById("transfer-news").textContent))
        .observe(document.getElementById("transfer-news"), { childList: true, characterData: true, subtree: true }));`);
    await page.goto(`${running.base}/console/ftp.html`);
    await page.waitForSelector("#transfer-count:not(:empty)");
    const before = await page.locator("#transfer-list li").count(); // 0, unless this is a retry
    expect(await page.locator("#no-transfers").isVisible()).toBe(before === 0);

    const ftp = await RawFtp.login(running.ftpPort, "me", "secret");
    await ftp.expect("TYPE I", 200);
    const data = await ftp.passive();
    data.pause(); // the client reads nothing: the transfer stays in the middle
    await ftp.expect("RETR big.bin", 150);

    await expect.poll(() => page.locator("#transfer-list li").count()).toBe(before + 1);
    const item = page.locator("#transfer-list li").first(); // the newest is on top
    const bar = item.getByRole("progressbar", { name: /RETR.*\/big\.bin/ });
    const value = () => bar.evaluate((element) => (element as unknown as { value: number }).value);
    await expect.poll(value).toBeGreaterThan(0);
    expect(await bar.evaluate((element) => (element as unknown as { max: number }).max)).toBe(BIG);
    expect(await value()).toBeLessThan(BIG / 2);
    expect(await item.locator(".numbers").innerText()).toMatch(/ of 50 MB \(\d+%\) · .*\/s · \d/);
    expect(await item.locator(".state").innerText()).toBe("in progress");
    expect(await item.innerText()).toContain("me");
    expect(await item.locator("a.data").getAttribute("href")).toMatch(/^\/console\/#session=ftp-data-/);
    expect(await page.locator("#transfer-count").innerText()).toBe("(1 in progress)");
    await expect.poll(() => page.evaluate("window.said")).toEqual(["Download started: /big.bin (me)"]);

    // axe with the transfer on screen, light and dark; and large text.
    const axePath = path.resolve("node_modules", "axe-core", "axe.min.js");
    await page.addScriptTag({ path: axePath });
    const problems: string[] = [];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = (await page.evaluate(`axe.run(document).then((result) =>
        result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " + n.failureSummary) })))`)) as { id: string; impact: string; targets: string[] }[];
      for (const v of violations) if (v.impact === "serious" || v.impact === "critical") problems.push(`${scheme}: ${v.id} (${v.impact}) at ${v.targets.join(" | ")}`);
    }
    await page.locator("#large-type").click();
    await page.screenshot({ path: path.join(ARTIFACTS, "console-ftp-transfer-dark-large.png"), fullPage: true });
    await page.locator("#large-type").click();
    expect(problems).toEqual([]);

    // Let it go: the bar fills, the item says done, the count drops.
    data.resume();
    data.on("data", () => {});
    expect((await ftp.reply(30_000)).code).toBe(226);
    await expect.poll(() => item.locator(".state").innerText()).toBe("done");
    expect(await value()).toBe(BIG);
    expect(await item.locator(".numbers").innerText()).toMatch(/^50 MB of 50 MB \(100%\) in .* on average$/);
    expect(await page.locator("#transfer-count").innerText()).toBe("(0 in progress)");
    await expect.poll(() => page.evaluate("window.said"), { timeout: 10_000 }).toEqual(["Download started: /big.bin (me)", "Download done: /big.bin"]);
    await ftp.close();

    // The transfer's link opens its data connection, whose account is its control connection's login.
    await item.locator("a.data").click();
    const facts = page.locator("#detail-facts");
    await expect.poll(() => facts.innerText()).toContain("me (the login of the session it belongs to)");
    expect(await page.locator("#detail-title").innerText()).toMatch(/^FTP-DATA session /);
    expect(errors).toEqual([]);
    await context.close();
  });
});
