// Spec for lessons/14-spam-forensics: splitting an mbox, the forensic questions asked of
// chosen messages of inbox.mbox, and the scorer judged against labels — for inbox.mbox and for
// holdout.mbox, a second mailbox learners never see (an answer that memorises inbox.mbox fails).
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { checkLesson } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/14-spam-forensics/exercise.ts";
import * as solution from "../../../lessons/14-spam-forensics/solution.ts";
import type { Verdict } from "../../../lessons/14-spam-forensics/solution.ts";

type Lesson14 = typeof solution;
type Label = { number: number; label: "ham" | "spam" | "phish"; subject: string };

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const INBOX = read("../../../lessons/14-spam-forensics/inbox.mbox");
const HOLDOUT = read("./holdout.mbox");
const INBOX_LABELS: Label[] = JSON.parse(read("./inbox.labels.json"));
const HOLDOUT_LABELS: Label[] = JSON.parse(read("./holdout.labels.json"));

// The checks of inspect and score get their messages from the reference split, so that each
// check tests one thing: a wrong splitMbox fails the splitMbox checks, not all of them.
const inbox = solution.splitMbox(INBOX);
const message = (number: number) => inbox[number - 1]!;

/** The scorer against labelled messages: the pass bar of the README. */
async function judge(isSuspicious: Lesson14["isSuspicious"], messages: string[], labels: Label[], mailbox: string) {
  expect(messages.length, `${mailbox}: messages`).toBe(labels.length);
  const wrong: string[] = [];
  let spamCaught = 0;
  let spamTotal = 0;
  for (const { number, label, subject } of labels) {
    const verdict: Verdict = await isSuspicious(messages[number - 1]!);
    const shown = `${mailbox} message ${number} (${label}) "${subject}": score ${verdict.score}${verdict.reasons.map((r) => `\n      ${r}`).join("")}`;
    if (verdict.suspicious && verdict.reasons.length === 0) wrong.push(`${shown}\n    is suspicious without a reason — say why in reasons`);
    if (label === "phish" && !verdict.suspicious) wrong.push(`${shown}\n    is phishing, and was not flagged`);
    if (label === "ham" && verdict.suspicious) wrong.push(`${shown}\n    is legitimate, and was flagged`);
    if (label === "spam") {
      spamTotal++;
      if (verdict.suspicious) spamCaught++;
    }
  }
  if (spamCaught < 0.8 * spamTotal) wrong.push(`${mailbox}: only ${spamCaught} of ${spamTotal} spam messages flagged; the bar is 80%`);
  expect(wrong, wrong.join("\n")).toEqual([]);
}

checkLesson<Lesson14>("14-spam-forensics", {
  exercise,
  checks: [
    {
      name: "splitMbox: inbox.mbox holds 22 messages; a 'From ' line inside a paragraph starts none",
      run({ splitMbox }) {
        const messages = splitMbox(INBOX);
        const firstLines = messages.map((text, i) => `${i + 1}: ${text.split("\n")[0]}`);
        expect(messages.length, `the first line of each message you found:\n${firstLines.join("\n")}`).toBe(22);
        for (const [i, text] of messages.entries()) {
          expect(text.startsWith("Return-Path: <"), `message ${i + 1} starts with its first header, not the separator`).toBe(true);
          expect(text.endsWith("\n") && !text.endsWith("\n\n"), `message ${i + 1} ends with exactly one "\\n"`).toBe(true);
        }
        expect(messages[6], "message 7: the body line 'From here on, …' is part of it").toContain("The keeper told us:\nFrom here on, the stairs get narrow");
      },
    },
    {
      name: "splitMbox: '>From ' becomes 'From ' again, '>>From ' becomes '>From '",
      run({ splitMbox }) {
        const lighthouse = splitMbox(INBOX)[6] ?? "";
        expect(lighthouse).toContain("\nFrom the top of the lighthouse you can see three islands.\n");
        expect(lighthouse).toContain("\n>From your description it sounds windy.\n");
        const mbox = "From a@example.com Mon Nov 23 10:00:00 2026\r\nSubject: one\r\n\r\n>From me\r\n>>>From you\r\n\r\nFrom here on it is quiet.\r\n\r\nFrom b@example.org Mon Nov 23 11:00:00 2026\r\nFrom: b@example.org\r\nSubject: two\r\n\r\nbye\r\n";
        expect(splitMbox(mbox), "CRLF line endings; neither the From: header nor 'From here on…' (no sender, no date) is a separator").toEqual([
          "Subject: one\n\nFrom me\n>>From you\n\nFrom here on it is quiet.\n",
          "From: b@example.org\nSubject: two\n\nbye\n",
        ]);
      },
    },
    {
      name: "messageIdWellFormed: <left@right>, nothing else (RFC 5322 §3.6.4)",
      run({ messageIdWellFormed }) {
        const cases: [string | null, boolean][] = [
          ["<6f0c1a2e-7b41-4c55-9d3e-0a8e2b7c1d90@example.net>", true],
          ["<CAF3x9=Qm1vO+example-7710@mail.example.com>", true],
          ["  <20261118031501.6A0B21002F@monitor.example.com>  ", true],
          ["<001a01c9$8f2e3b40$4d6433c6>", false],
          ["20261122093000.12345@tax-service.test", false],
          ["<5f3e9 a7b01c2@seo-top.test>", false],
          ["<a@b@example.com>", false],
          ["<@example.com>", false],
          ["<abc@>", false],
          ["junk <abc@example.com>", false],
          ["<abc@example.com> junk", false],
          [null, false],
        ];
        for (const [id, wellFormed] of cases) expect(messageIdWellFormed(id), `messageIdWellFormed(${JSON.stringify(id)})`).toBe(wellFormed);
      },
    },
    {
      name: "domainOf: the last two labels of a name or address; null for IPs and single names",
      run({ domainOf }) {
        const cases: [string, string | null][] = [
          ["mail.example.net", "example.net"],
          ["lists.example.org", "example.org"],
          ["click.weekly.example", "weekly.example"],
          ["Alice Chen <alice.chen@Example.NET>", "example.net"],
          ["<playground-dev-bounces+me=example.com@lists.example.org>", "example.org"],
          ["example.com", "example.com"],
          ["192.0.2.15", null],
          ["[192.0.2.101]", null],
          ["localhost", null],
          ["User", null],
          // Look-alikes: the organisation is the END of the name, and a Cyrillic "а" is another name.
          ["www.bank.example.evil.test", "evil.test"],
          ["secure-bank-example.test", "secure-bank-example.test"],
          ["Bank <service@b\u0430nk.example>", "xn--bnk-6cd.example"],
        ];
        for (const [name, domain] of cases) expect(domainOf(name), `domainOf(${JSON.stringify(name)})`).toBe(domain);
      },
    },
    {
      name: "classifyHost: names, dotted IPs, 32-bit integers (lesson 01), hex and octal",
      run({ classifyHost }) {
        const cases: [string, { kind: string; address: string | null }][] = [
          ["www.bank.example", { kind: "domain", address: null }],
          ["xn--bnk-6cd.example", { kind: "domain", address: null }],
          ["192.0.2.15", { kind: "ip", address: "192.0.2.15" }],
          ["3221225999", { kind: "integer-ip", address: "192.0.2.15" }],
          ["3325256815", { kind: "integer-ip", address: "198.51.100.111" }],
          ["0xcb00710a", { kind: "encoded-ip", address: "203.0.113.10" }],
          ["0xc0.0x00.0x02.0x0f", { kind: "encoded-ip", address: "192.0.2.15" }],
          ["0300.0000.0002.0017", { kind: "encoded-ip", address: "192.0.2.15" }],
        ];
        for (const [host, expected] of cases) expect(classifyHost(host), `classifyHost(${JSON.stringify(host)})`).toEqual(expected);
      },
    },
    {
      name: "findLinks: href against shown text — user names, ports, quotes, case, entities, plain text",
      run({ findLinks }) {
        const html = [
          `<p><a href="http://192.0.2.15/www.bank.example/login.php">https://www.bank.example/login</a></p>`,
          `<a class="btn" href="http://www.bank.example@198.51.100.23/verify/">www.<b>bank</b>.example/verify</a>`,
          `<A HREF='https://click.weekly.example/t/42?a=1&amp;b=2'>  www.weekly.example/issue/42 </A>`,
          `<a href="http://192.0.2.41:8080/dashboard">http://192.0.2.41:8080/dashboard</a>`,
          `<a href="http://3221225999/webmail/">Click here</a>`,
          `<a href="mailto:help@example.com">help@example.com</a>`,
          `<a href="https://www.bank.example.evil.test/login">https://www.bank.example/login</a>`,
        ].join("\n");
        expect(findLinks(html, "ignored: https://text.example.com/")).toEqual([
          { href: "http://192.0.2.15/www.bank.example/login.php", shownText: "https://www.bank.example/login", host: "192.0.2.15", kind: "ip", address: "192.0.2.15", mismatch: true },
          { href: "http://www.bank.example@198.51.100.23/verify/", shownText: "www.bank.example/verify", host: "198.51.100.23", kind: "ip", address: "198.51.100.23", mismatch: true },
          { href: "https://click.weekly.example/t/42?a=1&b=2", shownText: "www.weekly.example/issue/42", host: "click.weekly.example", kind: "domain", address: null, mismatch: false },
          { href: "http://192.0.2.41:8080/dashboard", shownText: "http://192.0.2.41:8080/dashboard", host: "192.0.2.41", kind: "ip", address: "192.0.2.41", mismatch: false },
          { href: "http://3221225999/webmail/", shownText: "Click here", host: "3221225999", kind: "integer-ip", address: "192.0.2.15", mismatch: false },
          // A look-alike: the host begins like the shown site, but it is a name under evil.test.
          { href: "https://www.bank.example.evil.test/login", shownText: "https://www.bank.example/login", host: "www.bank.example.evil.test", kind: "domain", address: null, mismatch: true },
        ]);
        expect(findLinks(null, "Track it: https://track.shipping.example/p/SP7044110\nor call us."), "no HTML: the URLs in the text").toEqual([
          { href: "https://track.shipping.example/p/SP7044110", shownText: "https://track.shipping.example/p/SP7044110", host: "track.shipping.example", kind: "domain", address: null, mismatch: false },
        ]);
        expect(findLinks(null, null)).toEqual([]);
      },
    },
    {
      name: "inspect: a mailing-list post — From, Return-Path and the whole Received: path (message 1)",
      timeoutMs: 15_000,
      async run({ inspect }) {
        const findings = await inspect(message(1));
        expect(findings.from).toBe("alice.chen@example.net");
        expect(findings.subject).toBe("[playground-dev] Re: length prefixes vs. delimiters");
        expect(findings.mailer, "User-Agent: when there is no X-Mailer:").toBe("Mozilla Thunderbird");
        expect(findings.messageIdWellFormed).toBe(true);
        expect(findings.domains, "oldest first; without the last server, mx.example.com").toEqual({
          from: "example.net",
          returnPath: "example.org",
          receivedChain: ["example.net", "example.org"],
        });
        expect(findings.authenticationWarnings).toEqual([]);
        expect(findings.authenticationResults.length).toBe(1);
        expect(findings.authenticationResults[0]).toMatch(/dmarc=pass/);
      },
    },
    {
      name: "inspect: mailers, Message-IDs, X-Authentication-Warning, a Chinese subject (messages 8, 10-14)",
      timeoutMs: 15_000,
      async run({ inspect }) {
        const chinese = await inspect(message(8));
        expect(chinese.subject, "mailparser decodes RFC 2047").toBe("周末一起吃饭吗？");
        expect(chinese.mailer).toBe("Foxmail 7.2.25.254[cn]");
        const pills = await inspect(message(10));
        expect([pills.mailer, pills.messageId, pills.messageIdWellFormed]).toEqual(["The Bat! (v1.62r) Business", "<001a01c9$8f2e3b40$4d6433c6>", false]);
        expect(pills.domains, "the only stamp comes from 'User': no domain on the path").toEqual({ from: "cheap-meds.test", returnPath: "example.net", receivedChain: [] });
        const lottery = await inspect(message(11));
        expect(lottery.authenticationWarnings).toEqual(["host.example.net: nobody set sender to claims@lotto-winner.test using -f"]);
        expect(lottery.domains.receivedChain).toEqual(["example.net"]);
        const seo = await inspect(message(12));
        expect([seo.mailer, seo.messageIdWellFormed]).toEqual(["Microsoft Outlook Express 6.00.2600.0000", false]);
        expect((await inspect(message(13))).messageIdWellFormed, "a Message-ID without < >").toBe(false);
        const noId = await inspect(message(14));
        expect([noId.messageId, noId.messageIdWellFormed], "no Message-ID at all").toEqual([null, false]);
        expect(noId.authenticationResults.join(" ")).toMatch(/dmarc=fail/);
      },
    },
    {
      name: "inspect: the links of a newsletter, a bank lure, a webmail lure, a parcel lure (messages 4, 16-18)",
      timeoutMs: 15_000,
      async run({ inspect }) {
        const newsletter = await inspect(message(4));
        expect(newsletter.links.map((link) => [link.host, link.mismatch]), "base64 HTML; click.weekly.example shown as www.weekly.example is one site").toEqual([
          ["click.weekly.example", false],
          ["click.weekly.example", false],
          ["weekly.example", false],
        ]);
        const bank = await inspect(message(16));
        expect(bank.links.map(({ host, kind, mismatch }) => ({ host, kind, mismatch })), "quoted-printable HTML").toEqual([{ host: "192.0.2.15", kind: "ip", mismatch: true }]);
        const webmail = await inspect(message(17));
        expect(webmail.links.map(({ kind, address }) => ({ kind, address }))).toEqual([{ kind: "integer-ip", address: "192.0.2.15" }]);
        const parcel = await inspect(message(18));
        expect(parcel.links.map(({ kind, address }) => ({ kind, address }))).toEqual([
          { kind: "encoded-ip", address: "192.0.2.15" },
          { kind: "encoded-ip", address: "192.0.2.15" },
        ]);
      },
    },
    {
      name: "score: a link's host in punycode counts, 'xn--' in its path does not; a forged 'pass' lowers nothing",
      run({ score }) {
        const link = (href: string, host: string, shownText = "Read more", mismatch = false) => ({ href, shownText, host, kind: "domain" as const, address: null, mismatch });
        const clean = {
          from: "alice@example.com",
          subject: "Notes",
          mailer: null,
          messageId: "<1@example.com>",
          messageIdWellFormed: true,
          domains: { from: "example.com", returnPath: "example.com", receivedChain: ["example.com"] },
          authenticationWarnings: [],
          authenticationResults: [],
          links: [link("https://docs.example.com/wiki/xn--80ak6aa92e", "docs.example.com")],
        };
        expect(score(clean).score, "a plain message whose link has 'xn--' only in its path: 0 points").toBe(0);
        const lookAlike = { ...clean, links: [link("https://xn--bnk-6cd.example/login", "xn--bnk-6cd.example")] };
        expect(score(lookAlike).score, "a link to xn--bnk-6cd.example (bаnk with a Cyrillic а): 2 points").toBe(2);
        const lying = {
          ...clean,
          authenticationResults: ["mx.example.com; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com"],
          links: [link("https://www.bank.example.evil.test/", "www.bank.example.evil.test", "www.bank.example", true)],
        };
        expect(score(lying), "a lying link is 3 points, whatever an Authentication-Results: pass (which a sender can forge) says").toMatchObject({
          score: 3,
          suspicious: true,
        });
      },
    },
    {
      name: "score: inbox.mbox — every phish flagged, no legitimate message flagged, 80% of the spam",
      timeoutMs: 20_000,
      async run({ isSuspicious }) {
        await judge(isSuspicious, inbox, INBOX_LABELS, "inbox.mbox");
      },
    },
    {
      name: "score: 10 messages you have never seen — the same bar",
      timeoutMs: 20_000,
      async run({ isSuspicious }) {
        await judge(isSuspicious, solution.splitMbox(HOLDOUT), HOLDOUT_LABELS, "a held-out mailbox");
      },
    },
  ],
});
