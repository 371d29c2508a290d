// The console's live sessions page in a real browser (Debian's Chromium driven by playwright-core,
// as test/site/browser.test.ts does): a Python smtplib session shows up live, masked, and its lines
// arrive while it runs; axe-core finds no serious accessibility problem. Skipped without Chromium.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hasPython } from "../kit/processes.ts";
import { eventually, startTestConsole, type TestConsole } from "./console-live-kit.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/servers/console-browser.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (sudo apt-get install chromium, or set CHROMIUM)`);
const SLOW = 120_000;
const PLAIN_SECRET = Buffer.from("\0me@example.com\0secret").toString("base64");

describe.skipIf(!hasChromium || !hasPython)("the console's sessions page in Chromium", { retry: 1 }, () => {
  let running: TestConsole;
  let browser: Browser;
  let context: BrowserContext;
  const outside: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    running = await startTestConsole();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    // The console makes no third-party requests: anything not on 127.0.0.1 is blocked and counted.
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      outside.push(url.href);
      return route.abort();
    });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  async function open(): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (message) => message.type() === "error" && errors.push(`console: ${message.text()}`));
    page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
    await page.goto(`${running.base}/console/`);
    await page.locator("#status", { hasText: "Live" }).waitFor();
    return page;
  }

  test("an smtplib session with AUTH appears within 2 s, password masked; selected, its lines arrive as they are sent", { timeout: SLOW }, async () => {
    const page = await open();
    // A client that logs in, then waits for us before it sends its message.
    const client = spawn("python3", ["-u", "-c", `
import os, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT']))
s.login('me@example.com', 'secret')
print('logged in', flush=True)
sys.stdin.readline()
s.sendmail('me@example.com', ['me@example.com'], 'Subject: live\\r\\n\\r\\nhello from the browser test\\r\\n' + ''.join('body line %02d\\r\\n' % n for n in range(40)))
s.quit()
print('done', flush=True)
`], { env: { ...process.env, SMTP_PORT: String(running.mail.ports.submission) } });
    let output = "";
    client.stdout.on("data", (chunk) => (output += chunk));
    client.stderr.on("data", (chunk) => (output += chunk));
    try {
      await eventually(() => (output.includes("logged in") ? true : undefined), 10_000, "the smtplib login");
      const item = page.locator("#session-list button.session", { hasText: "SMTP" }).first();
      await item.waitFor({ timeout: 2_000 }); // the bound: within 2 s
      await expect.poll(() => item.textContent(), { timeout: 2_000 }).toContain("me@example.com");
      await item.click();
      const lines = page.locator("#lines");
      await lines.locator(".line", { hasText: "AUTH PLAIN ******** (masked)\\r\\n" }).waitFor();
      await lines.locator(".line", { hasText: "235 " }).waitFor();
      expect(await lines.textContent()).not.toContain(PLAIN_SECRET);
      expect(await lines.textContent()).not.toContain("hello from the browser test");

      client.stdin.write("go on\n");
      // No reload, no new click: the rest of the conversation streams in.
      await lines.locator(".line", { hasText: "hello from the browser test\\r\\n" }).waitFor({ timeout: 5_000 });
      await lines.locator(".line", { hasText: "C: QUIT\\r\\n" }).waitFor({ timeout: 5_000 });
      await expect.poll(() => item.textContent(), { timeout: 5_000 }).toContain("ended: QUIT");
      // The long body is folded after its first lines; opening the fold fetches the rest.
      const fold = lines.locator(".fold summary", { hasText: "more lines" });
      await fold.waitFor();
      expect(await lines.textContent()).not.toContain("body line 30");
      await fold.click();
      await lines.locator(".fold .line", { hasText: "body line 30\\r\\n" }).waitFor();
      // Each line has its time, and \r\n shows.
      expect(await lines.locator(".line time").first().textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d$/);

      // The sequence diagram: one arrow per line, client to server and back.
      await page.locator("#view-diagram").click();
      const arrows = await page.locator("#diagram line.client-arrow").count();
      expect(arrows).toBeGreaterThan(3);
      expect(await page.locator("#diagram line.server-arrow").count()).toBeGreaterThan(3);
      await page.locator("#view-lines").click();

      // The protocol filter hides it; the text filter finds it by a line of its conversation.
      await page.locator("select[name=protocol]").selectOption("nntp");
      await expect.poll(() => page.locator("#session-list li").count()).toBe(0);
      await page.locator("select[name=protocol]").selectOption("");
      await page.locator("input[name=q]").fill("hello from the browser test");
      await expect.poll(() => page.locator("#session-list li").count()).toBe(1);
      expect(output).toContain("done");
    } finally {
      client.kill();
      await page.close();
    }
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });

  test("the page streams the lines of the session shown only; the others' bytes still count up live", { timeout: SLOW }, async () => {
    const page = await open();
    const streams: string[] = [];
    page.on("request", (request) => request.url().includes("/console/api/events") && streams.push(new URL(request.url()).searchParams.get("lines")!));
    // Two sessions: the first is selected; the second sends a mail while it is not.
    const client = spawn("python3", ["-u", "-c", `
import os, smtplib, sys
port = int(os.environ['SMTP_PORT'])
one = smtplib.SMTP('127.0.0.1', port); one.login('me@example.com', 'secret')
print('one', flush=True)
sys.stdin.readline()
two = smtplib.SMTP('127.0.0.1', port); two.login('me@example.com', 'secret')
print('two', flush=True)
sys.stdin.readline()
two.sendmail('me@example.com', ['me@example.com'], 'Subject: not shown\\r\\n\\r\\n' + 'the other session\\r\\n' * 300)
print('sent', flush=True)
sys.stdin.readline()
one.quit(); two.quit()
`], { env: { ...process.env, SMTP_PORT: String(running.mail.ports.submission) } });
    let output = "";
    client.stdout.on("data", (chunk) => (output += chunk));
    client.stderr.on("data", (chunk) => (output += chunk));
    try {
      await eventually(() => (output.includes("one") ? true : undefined), 10_000, "the first login");
      const one = page.locator("#session-list li.open", { hasText: "SMTP" }).first();
      await expect.poll(() => one.textContent(), { timeout: 2_000 }).toContain("me@example.com");
      const oneId = await one.getAttribute("data-id");
      await one.locator("button").click();
      const lines = page.locator("#lines");
      await lines.locator(".line", { hasText: "235 " }).waitFor();
      await expect.poll(() => streams.at(-1)).toBe(oneId);
      client.stdin.write("go on\n");
      await eventually(() => (output.includes("two") ? true : undefined), 10_000, "the second login");
      const two = page.locator(`#session-list li.open:not([data-id="${oneId}"])`, { hasText: "SMTP" }).first();
      await expect.poll(() => two.textContent(), { timeout: 2_000 }).toContain("me@example.com");
      const before = await two.locator(".bytes").textContent();
      client.stdin.write("go on\n");
      await eventually(() => (output.includes("sent") ? true : undefined), 10_000, "the mail");
      // Still open, and its bytes have grown: counted from the "bytes" events, its lines never sent here.
      await expect.poll(() => two.locator(".bytes").textContent(), { timeout: 2_000 }).not.toBe(before);
      expect(await two.textContent()).toContain("open");
      expect(await two.locator(".bytes").textContent()).toMatch(/^\d+(\.\d)? KB in/);
      expect(await lines.textContent()).not.toContain("the other session");
      client.stdin.write("go on\n");
      // (Found by its id: once it has ended it is no longer "open".)
      await expect.poll(() => page.locator(`#session-list li[data-id="${oneId}"]`).textContent(), { timeout: 5_000 }).toContain("ended: QUIT");
      await lines.locator(".line", { hasText: "C: QUIT\\r\\n" }).waitFor({ timeout: 5_000 });
    } finally {
      client.kill();
      await page.close();
    }
    expect(errors).toEqual([]);
  });

  test("the relay hop links both ways: the MX session to both submission sessions whose mail it carried, each of them to it", { timeout: SLOW }, async () => {
    const page = await open();
    // Two sessions, one message each to example.org: the relay's pooled connection carries both.
    const ports = await new Promise<string[]>((resolve, reject) => {
      const child = spawn("python3", ["-c", `
import os, smtplib
ports = []
for subject in ['first', 'second']:
    s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])); s.login('me@example.com', 'secret')
    s.sendmail('me@example.com', ['friend@example.org'], 'Subject: %s\\r\\n\\r\\nrelayed\\r\\n' % subject)
    ports.append(str(s.sock.getsockname()[1])); s.quit()
print(' '.join(ports))
`], { env: { ...process.env, SMTP_PORT: String(running.mail.ports.submission) } });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.on("exit", (code) => (code === 0 ? resolve(output.trim().split(" ")) : reject(new Error(`python exited ${code}`))));
    });
    try {
      const hop = page.locator("#session-list button.session", { hasText: "MX" });
      await expect.poll(() => hop.count()).toBe(1);
      await hop.click();
      const links = page.locator("#detail-links");
      await expect.poll(() => links.textContent()).toBe(`Caused by these sessions: SMTP 127.0.0.1:${ports[0]}, SMTP 127.0.0.1:${ports[1]}. `);
      await links.locator("button", { hasText: `SMTP 127.0.0.1:${ports[1]}` }).click();
      await expect.poll(() => page.locator("#detail-title").textContent()).toContain(`127.0.0.1:${ports[1]}`);
      await expect.poll(() => links.textContent()).toMatch(/^Led to MX 127\.0\.0\.1:\d+\. $/);
    } finally {
      await page.close();
    }
    expect(errors).toEqual([]);
  });

  test("axe finds no serious or critical accessibility problems, light and dark, large type", { timeout: SLOW }, async () => {
    // axe is injected into the page: this context alone lets a script in past the console's CSP.
    const axeContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await axeContext.newPage();
    const problems: string[] = [];
    try {
      await page.goto(`${running.base}/console/`);
      await page.locator("#status", { hasText: "Live" }).waitFor();
      await page.locator("#session-list button.session").first().click();
      await page.locator("#lines .line").first().waitFor();
      await page.addScriptTag({ path: path.resolve("node_modules", "axe-core", "axe.min.js") });
      for (const [theme, large] of [["light", false], ["dark", false], ["dark", true]] as const) {
        await page.evaluate(`document.documentElement.dataset.theme = "${theme}";
          document.documentElement.classList.toggle("large-text", ${large});
          document.querySelectorAll("details").forEach((d) => (d.open = true));`);
        const violations = (await page.evaluate(`axe.run(document).then((result) =>
          result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))`)) as { id: string; impact: string; targets: string[] }[];
        for (const v of violations) {
          if (v.impact === "serious" || v.impact === "critical") problems.push(`${theme}${large ? " large" : ""}: ${v.id} (${v.impact}) at ${v.targets.join(" | ")}`);
        }
      }
    } finally {
      await axeContext.close();
    }
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!hasChromium || !hasPython)("the console beyond loopback, in Chromium: the login page", { retry: 1 }, () => {
  test("the page sends you to log in; a wrong password is told; a student then sees only their own sessions, and no script can read the login cookie", { timeout: SLOW }, async () => {
    const running = await startTestConsole({ open: false, teacherPassword: "teacher-password-123" });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      // Two sessions: me@example.com's over SMTP, and an anonymous FTP one.
      await new Promise<void>((resolve, reject) => {
        const child = spawn("python3", ["-c", `
import os, smtplib, ftplib
s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])); s.login('me@example.com', 'secret'); s.quit()
f = ftplib.FTP(); f.connect('127.0.0.1', int(os.environ['FTP_PORT'])); f.login('anonymous', 'guest@example.net'); f.quit()
`], { env: { ...process.env, SMTP_PORT: String(running.mail.ports.submission), FTP_PORT: String(running.ftpPort) }, stdio: "inherit" });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`python exited ${code}`))));
      });
      const page = await browser.newPage();
      await page.goto(`${running.base}/console/`);
      await page.waitForURL(/\/console\/login\.html$/);
      await page.locator("input[name=user]").fill("me@example.com");
      await page.locator("input[name=password]").fill("wrong");
      await page.locator("button[type=submit]").click();
      await page.locator("#problem", { hasText: "wrong user name or password" }).waitFor();
      await page.locator("input[name=password]").fill("secret");
      await page.locator("button[type=submit]").click();
      await page.waitForURL(/\/console\/$/);
      await page.locator("#status", { hasText: "Live" }).waitFor();
      await expect.poll(() => page.locator("#session-list li").count()).toBe(1);
      expect(await page.locator("#session-list").textContent()).toContain("me@example.com");
      expect(await page.locator("#who").textContent()).toContain("me@example.com");
      expect(await page.evaluate("document.cookie")).not.toContain("console_session");
      await page.locator("#logout").click();
      await page.waitForURL(/\/console\/login\.html$/);
    } finally {
      await browser.close();
      await running.stop();
    }
  });
});
