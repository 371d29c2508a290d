// The console's views of what the servers stored (/console/api/mailboxes, /ftp, /news), checked
// against a real playground: mail sent with nodemailer through the relay (two hops), a file
// uploaded with basic-ftp, articles posted over NNTP — then every endpoint, what a student may
// see, traversal attempts, and that looking changed nothing on the disk.

import net from "node:net";
import { once } from "node:events";
import { mkdir, readdir, readFile, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toCrlf } from "../../servers/mail/mailbox-store.ts";
import { journeyOf, MAIL_HTML_CSP, parseReceived } from "../../servers/console/browse-mail.ts";
import { runProgram } from "../kit/processes.ts";
import { postArticle, sendMail, startTestPlayground, uploadFile, waitFor, type TestPlayground } from "./console-kit.ts";

let playground: TestPlayground;
let csv: Buffer;
const ROOT_ID = `<console-root-${process.pid}@test.example>`;

beforeAll(async () => {
  playground = await startTestPlayground();
  csv = await readFile(new URL("../../servers/mail/samples/scores.csv", import.meta.url));
  await sendMail(playground, {
    to: "friend@example.org",
    subject: "Scores für dich ✓",
    text: "Here are the scores.\nSee the attachment.",
    html: "<p>Here are the <b>scores</b>.</p>",
    attachments: [
      { filename: "scores.csv", content: csv },
      { filename: '../../etc/"passwd".txt', content: "not a password file" },
    ],
  });
  await sendMail(playground, { to: "me@example.com", subject: "Note to self", text: "one hop only" });
  await uploadFile(playground, "notes.txt", "uploaded by basic-ftp\n");
  // Links that lead out of an FTP root: the FTP server refuses them, so must the console.
  await symlink(join(playground.dataDir, "tls"), join(playground.dataDir, "ftp", "pub", "escape"));
  await symlink(join(playground.dataDir, "tls", "key.pem"), join(playground.dataDir, "ftp", "pub", "key.pem"));
  await mkdir(join(playground.dataDir, "ftp", "home", "friend"), { recursive: true });
  const root = `From: Poster <poster@example.com>\r\nNewsgroups: playground.test\r\nSubject: Console thread\r\nMessage-ID: ${ROOT_ID}\r\n\r\nThe first article.\r\n`;
  expect(await postArticle(playground, root)).toMatch(/^240 /);
  const reply = `From: Replier <replier@example.com>\r\nNewsgroups: playground.test\r\nSubject: Re: Console thread\r\nReferences: ${ROOT_ID}\r\n\r\n> The first article.\r\n.A line starting with a dot.\r\n`;
  expect(await postArticle(playground, reply)).toMatch(/^240 /);
  // The relay hop to the MX happens after the submission server said 250: wait for it.
  await waitFor("the relayed mail in friend's INBOX", async () => ((await readdir(join(playground.dataDir, "mail", "friend@example.org", "new"))).length > 0 ? true : undefined));
}, 60_000);

afterAll(() => playground?.close());

async function get(path: string, base = playground.base): Promise<{ status: number; headers: Headers; json: any; body: Buffer }> {
  const response = await fetch(base + path);
  const body = Buffer.from(await response.arrayBuffer());
  const json = response.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(body.toString("utf8")) : undefined;
  return { status: response.status, headers: response.headers, json, body };
}

/** An error answer: JSON {error}, the status wanted, and no stack or path of the disk in it. */
async function expectError(path: string, status: number, base = playground.base): Promise<string> {
  const answer = await get(path, base);
  expect(answer.status, path).toBe(status);
  expect(Object.keys(answer.json ?? {}), path).toEqual(["error"]);
  expect(answer.body.toString(), path).not.toContain(playground.dataDir);
  expect(answer.body.toString(), path).not.toMatch(/\/tmp\/|at .*\.ts:\d+/);
  return answer.json.error;
}

const friendInbox = "/console/api/mailboxes/friend@example.org/INBOX";

async function friendMessage(): Promise<any> {
  const list = await get(friendInbox);
  return (await get(`${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}`)).json;
}

/** Every file under a folder with its size and modification time: what "changed nothing" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info) lines.push(`${name} ${info.isDirectory() ? "dir" : info.size} ${info.mtimeMs}`);
  }
  return lines;
}

describe("mailboxes", () => {
  test("the list: every mailbox with its folders and counts", async () => {
    const { status, json } = await get("/console/api/mailboxes");
    expect(status).toBe(200);
    const friend = json.mailboxes.find((m: any) => m.address === "friend@example.org");
    const me = json.mailboxes.find((m: any) => m.address === "me@example.com");
    expect(friend.folders[0]).toMatchObject({ name: "INBOX", displayName: "INBOX", messages: 1, unseen: 1 });
    expect(me.folders[0]).toMatchObject({ name: "INBOX", messages: 1, unseen: 1 });
    const [file] = await readdir(join(playground.dataDir, "mail", "friend@example.org", "new"));
    expect(friend.folders[0].bytes).toBe(Number(/,W=(\d+)/.exec(file)![1]));
  });

  test("the message list: decoded sender and subject, date, size, flags", async () => {
    const { json } = await get(friendInbox);
    expect(json).toMatchObject({ address: "friend@example.org", folder: "INBOX", total: 1, offset: 0 });
    const [message] = json.messages;
    expect(message).toMatchObject({ from: '"Me Sender" <me@example.com>', to: "friend@example.org", subject: "Scores für dich ✓", flags: [] });
    expect(Date.now() - Date.parse(message.date)).toBeLessThan(120_000);
    const [file] = await readdir(join(playground.dataDir, "mail", "friend@example.org", "new"));
    expect(message.id).toBe(file.split(",")[0]);
    expect(message.size).toBe(Number(/,W=(\d+)/.exec(file)![1]));
  });

  test("newest first, paged with ?offset= and ?limit=", async () => {
    for (let n = 1; n <= 3; n++) await sendMail(playground, { to: "me@example.com", subject: `numbered ${n}`, text: `n=${n}` });
    const all = await get("/console/api/mailboxes/me@example.com/INBOX");
    expect(all.json.messages.map((m: any) => m.subject)).toEqual(["numbered 3", "numbered 2", "numbered 1", "Note to self"]);
    const second = await get("/console/api/mailboxes/me@example.com/INBOX?offset=1&limit=2");
    expect(second.json).toMatchObject({ total: 4, offset: 1, limit: 2 });
    expect(second.json.messages.map((m: any) => m.subject)).toEqual(["numbered 2", "numbered 1"]);
    await expectError("/console/api/mailboxes/me@example.com/INBOX?limit=ten", 400);
  });

  test("one message: headers, text part, MIME tree, attachments, the journey over two hops", async () => {
    const message = await friendMessage();
    expect(message.subject).toBe("Scores für dich ✓");
    expect(message.text.trim()).toBe("Here are the scores.\nSee the attachment.");
    expect(message.hasHtml).toBe(true);
    expect(message.headers[0].name).toBe("Return-Path");
    expect(message.headers.filter((h: any) => h.name === "Received")).toHaveLength(2);
    expect(message.headers.find((h: any) => h.name === "Subject").value).toBe("Scores für dich ✓");
    // nodemailer's shape: mixed( alternative(plain, html), csv, txt )
    expect(message.mime.type).toBe("multipart/mixed");
    expect(message.mime.children.map((c: any) => [c.part, c.type])).toEqual([["1", "multipart/alternative"], ["2", "text/csv"], ["3", "text/plain"]]);
    const [plain, html] = message.mime.children[0].children;
    expect(plain).toMatchObject({ part: "1.1", type: "text/plain", charset: "utf-8" });
    expect(html).toMatchObject({ part: "1.2", type: "text/html" });
    expect(message.mime.children[1]).toMatchObject({ encoding: "base64", disposition: "attachment", filename: "scores.csv" });
    // The part's size is its encoded body as stored: base64 of the file, in lines of 76 + CRLF.
    const encoded = Math.ceil(csv.length / 3) * 4;
    expect(message.mime.children[1].size).toBeGreaterThanOrEqual(encoded);
    expect(message.mime.children[1].size).toBeLessThanOrEqual(encoded + 2 * Math.ceil(encoded / 76) + 2);
    expect(message.attachments.map((a: any) => [a.n, a.filename, a.size])).toEqual([[0, "scores.csv", csv.length], [1, '../../etc/"passwd".txt', 19]]);
    expect(message.journey.map((stop: any) => `${stop.role} ${stop.name}`)).toEqual([
      "MUA [127.0.0.1]",
      "MTA smtp.example.com",
      "MTA mx.example.org",
      "MDA Maildir of friend@example.org",
    ]);
    expect(message.journey[0].address).toBe("[127.0.0.1]");
    expect(message.journey[1].via.protocol).toBe("ESMTPSA"); // STARTTLS and AUTH on the first hop (RFC 3848)
    expect(message.journey[2].via.protocol).toMatch(/^ESMTPS?$/);
    expect(Date.parse(message.journey[2].via.date)).toBeGreaterThanOrEqual(Date.parse(message.journey[1].via.date));
  });

  test("a message delivered by the submission server itself: one hop, MUA → MTA → MDA", async () => {
    const list = await get("/console/api/mailboxes/me@example.com/INBOX");
    const note = list.json.messages.find((m: any) => m.subject === "Note to self");
    const { json } = await get(`/console/api/mailboxes/me@example.com/INBOX/${encodeURIComponent(note.id)}`);
    expect(json.journey.map((stop: any) => stop.role)).toEqual(["MUA", "MTA", "MDA"]);
    expect(json.hasHtml).toBe(false);
    expect(json.mime).toMatchObject({ part: "", type: "text/plain", children: [] });
    await expectError(`/console/api/mailboxes/me@example.com/INBOX/${encodeURIComponent(note.id)}/html`, 404);
  });

  test("raw: the source as POP3 and IMAP send it, CRLF line endings", async () => {
    const list = await get(friendInbox);
    const raw = await get(`${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}/raw`);
    expect(raw.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(raw.headers.get("x-content-type-options")).toBe("nosniff");
    const [file] = await readdir(join(playground.dataDir, "mail", "friend@example.org", "new"));
    const onDisk = await readFile(join(playground.dataDir, "mail", "friend@example.org", "new", file));
    expect(onDisk.includes("\r\n")).toBe(false); // Maildir keeps LF…
    expect(raw.body.equals(toCrlf(onDisk))).toBe(true); // …the wire, and the console, show CRLF
    expect(raw.body.length).toBe(list.json.messages[0].size);
  });

  test("html: the HTML part alone, under a policy that allows no script and no network", async () => {
    const list = await get(friendInbox);
    const html = await get(`${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}/html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
    expect(MAIL_HTML_CSP).toBe(html.headers.get("content-security-policy"));
    expect(html.body.toString()).toContain("<b>scores</b>");
  });

  test("attachments download as bytes, with a safe file name", async () => {
    const list = await get(friendInbox);
    const base = `${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}/attachments`;
    const first = await get(`${base}/0`);
    expect(first.body.equals(csv)).toBe(true);
    expect(first.headers.get("content-type")).toBe("application/octet-stream");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("content-disposition")).toMatch(/^attachment; filename="scores\.csv"/);
    const nasty = await get(`${base}/1`);
    expect(nasty.body.toString()).toBe("not a password file");
    const disposition = nasty.headers.get("content-disposition")!;
    const plain = /filename="([^"]*)"/.exec(disposition)![1];
    expect(plain).not.toMatch(/[/\\"]|^\./);
    expect(plain).toContain("passwd");
    await expectError(`${base}/2`, 404);
    await expectError(`${base}/x`, 404);
  });

  test("errors: JSON, the right status, no path of the disk", async () => {
    await expectError("/console/api/mailboxes/nobody@example.org", 404);
    await expectError("/console/api/mailboxes/nobody@example.org/INBOX", 404);
    await expectError("/console/api/mailboxes/friend@example.org/Archive", 404);
    await expectError(`${friendInbox}/1700000000.M1P1Q1.nohost`, 404);
    await expectError("/console/api/mailboxes/%2e%2e%2F%2e%2e%2Fetc/INBOX", 400);
    await expectError("/console/api/mailboxes/friend@example.org/%2e%2e%2F%2e%2e%2Fme@example.com", 404); // "../../me@example.com" is no folder name
    await expectError("/console/api/mailboxes/friend@example.org/%E0%A4%A", 400);
    const list = await get(friendInbox);
    await expectError(`${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}/other`, 404);
    const post = await fetch(playground.base + "/console/api/mailboxes", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ error: expect.stringContaining("POST") });
  });

  test("a message whose flags IMAP changed meanwhile (new/ → cur/…:2,S) is still found, now \\Seen", async () => {
    await sendMail(playground, { to: "me@example.com", subject: "flag me", text: "x" });
    const list = await get("/console/api/mailboxes/me@example.com/INBOX");
    const message = list.json.messages.find((m: any) => m.subject === "flag me");
    const dir = join(playground.dataDir, "mail", "me@example.com");
    const name = (await readdir(join(dir, "new"))).find((file) => file.startsWith(message.id))!;
    const { rename } = await import("node:fs/promises");
    await rename(join(dir, "new", name), join(dir, "cur", `${name}:2,FS`));
    const again = await get(`/console/api/mailboxes/me@example.com/INBOX/${encodeURIComponent(message.id)}`);
    expect(again.status).toBe(200);
    expect(again.json.flags.sort()).toEqual(["\\Flagged", "\\Seen"]);
    expect(again.json.file).toBe(`cur/${name}:2,FS`);
  });
});

describe("beside a POP3 session", () => {
  test("a mailbox locked by a POP3 session can be looked at, and the session goes on undisturbed", async () => {
    const socket = net.connect(playground.mail.ports.pop3, "127.0.0.1");
    socket.setEncoding("utf8");
    let buffered = "";
    const reply = async (multiLine = false): Promise<string> => {
      const end = multiLine ? "\r\n.\r\n" : "\r\n";
      while (!buffered.includes(end)) buffered += (await once(socket, "data"))[0];
      const text = buffered.slice(0, buffered.indexOf(end));
      buffered = buffered.slice(buffered.indexOf(end) + end.length);
      return text;
    };
    const command = (line: string, multiLine = false) => {
      socket.write(line + "\r\n");
      return reply(multiLine);
    };
    try {
      expect(await reply()).toMatch(/^\+OK/);
      expect(await command("USER friend@example.org")).toMatch(/^\+OK/);
      expect(await command("PASS secret")).toMatch(/^\+OK/); // TRANSACTION: the maildrop is locked (RFC 1939 §8)
      const list = await get(friendInbox);
      expect(list.status).toBe(200);
      expect((await get(`${friendInbox}/${encodeURIComponent(list.json.messages[0].id)}`)).status).toBe(200);
      expect(await command("RETR 1", true)).toMatch(/^\+OK \d+ octets\r\n[\s\S]*\r\nSubject: /);
      expect(await command("QUIT")).toMatch(/^\+OK/);
    } finally {
      socket.destroy();
    }
    // RETR marked it seen (new/ → cur/…:2,S): the console follows the file to its new name.
    const after = await get(friendInbox);
    expect(after.json.messages[0].flags).toEqual(["\\Seen"]);
  });
});

describe("Received: headers taken apart", () => {
  test("the playground's form, folded over two lines", () => {
    expect(parseReceived("from laptop ([127.0.0.1])\r\n\tby smtp.example.com (Socket Playground) with ESMTPSA id 17\r\n\tfor <friend@example.org>; Mon, 23 Nov 2026 22:54:00 +0000")).toEqual({
      from: "laptop",
      fromAddress: "[127.0.0.1]",
      by: "smtp.example.com",
      with: "ESMTPSA",
      id: "17",
      for: "friend@example.org",
      date: "2026-11-23T22:54:00.000Z",
    });
  });

  test("a header missing parts gives what it has; no Received: at all, no journey", () => {
    expect(parseReceived("by mx.example.org; not a date")).toEqual({ by: "mx.example.org", from: undefined, fromAddress: undefined, with: undefined, id: undefined, for: undefined, date: undefined });
    expect(journeyOf([], "a@b")).toEqual([]);
    expect(journeyOf(["by mx.example.org"], "a@b").map((s) => `${s.role} ${s.name}`)).toEqual(["MUA unknown client", "MTA mx.example.org", "MDA Maildir of a@b"]);
  });
});

describe("FTP", () => {
  test("the top: pub and home; pub lists the seed files with sizes and dates", async () => {
    const top = await get("/console/api/ftp");
    expect(top.json.entries.map((e: any) => e.name)).toEqual(["pub", "home"]);
    const pub = await get("/console/api/ftp?path=/pub");
    expect(pub.json.path).toBe("/pub");
    const readme = pub.json.entries.find((e: any) => e.name === "README.txt");
    expect(readme).toMatchObject({ type: "file", size: (await stat(join(playground.dataDir, "ftp", "pub", "README.txt"))).size });
    expect(pub.json.entries.some((e: any) => e.type === "dir")).toBe(true);
    expect(Date.parse(readme.date)).toBeGreaterThan(0);
    // Links leading out of the root are not listed, as the FTP server's LIST leaves them out.
    expect(pub.json.entries.map((e: any) => e.name)).not.toContain("escape");
    expect(pub.json.entries.map((e: any) => e.name)).not.toContain("key.pem");
  });

  test("homes: the upload is there, and downloads byte for byte", async () => {
    const home = await get("/console/api/ftp?path=/home");
    expect(home.json.entries.map((e: any) => e.name)).toEqual(["friend", "me"]);
    const me = await get("/console/api/ftp?path=/home/me/");
    expect(me.json.entries).toEqual([{ name: "notes.txt", type: "file", size: 22, date: expect.any(String) }]);
    const file = await get("/console/api/ftp/download?path=/home/me/notes.txt");
    expect(file.body.toString()).toBe("uploaded by basic-ftp\n");
    expect(file.headers.get("content-type")).toBe("application/octet-stream");
    expect(file.headers.get("content-disposition")).toMatch(/^attachment; filename="notes\.txt"/);
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("no way out: ../, %2e%2e, backslashes, links", async () => {
    const key = await readFile(join(playground.dataDir, "tls", "key.pem"), "utf8");
    for (const path of ["/pub/../../tls/key.pem", "/pub/%2e%2e/%2e%2e/tls/key.pem", "../../../etc/passwd", "/pub/%2E%2E%2F%2E%2E%2Ftls%2Fkey.pem"]) {
      const answer = await get(`/console/api/ftp/download?path=${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.body.toString()).not.toContain(key.slice(0, 40));
    }
    expect(await expectError("/console/api/ftp/download?path=/pub/key.pem", 403)).toMatch(/^\/pub\/key\.pem: Permission denied/);
    await expectError("/console/api/ftp?path=/pub/escape", 403);
    // Folded before anything is looked up, like an FTP server folds a client's path: /pub/README.txt.
    expect((await get("/console/api/ftp?path=/pub/escape/../README.txt")).json).toMatchObject({ path: "/pub/README.txt", type: "file" });
    await expectError("/console/api/ftp?path=/pub\\..\\..\\tls", 400);
    await expectError("/console/api/ftp?path=/pub/no-such-file", 404);
    await expectError("/console/api/ftp/download?path=/pub", 400);
    await expectError("/console/api/ftp/download?path=/", 400);
    await expectError("/console/api/ftp/elsewhere", 404);
  });
});

describe("news", () => {
  test("groups with their ranges", async () => {
    const { json } = await get("/console/api/news");
    const test_ = json.groups.find((g: any) => g.name === "playground.test");
    expect(test_).toMatchObject({ low: 1, high: 5, count: 5 });
    const python = json.groups.find((g: any) => g.name === "comp.lang.python");
    expect(python).toMatchObject({ low: 1201, high: 1218, count: 18 });
  });

  test("articles threaded by References:, the reply under the article it answers", async () => {
    const { json } = await get("/console/api/news/playground.test");
    const root = json.threads.find((t: any) => t.messageId === ROOT_ID);
    expect(root).toMatchObject({ number: 4, subject: "Console thread", from: "Poster <poster@example.com>" });
    expect(root.replies.map((r: any) => [r.number, r.subject])).toEqual([[5, "Re: Console thread"]]);
    // Every article is in the tree exactly once.
    const numbers: number[] = [];
    const walk = (nodes: any[]) => nodes.forEach((node) => (numbers.push(node.number), walk(node.replies)));
    walk(json.threads);
    expect(numbers.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  test("the seed's threads, with one whose parent has expired hanging under its grandparent or alone", async () => {
    const { json } = await get("/console/api/news/comp.lang.python");
    const count = (nodes: any[]): number => nodes.reduce((sum, node) => sum + 1 + count(node.replies), 0);
    expect(count(json.threads)).toBe(18);
    expect(json.threads.length).toBeLessThan(18);
  });

  test("a post made after a look shows at the next look (the kept spool is read again)", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the spool settles: this look's spool is kept
    const before = (await get("/console/api/news")).json.groups.find((g: any) => g.name === "comp.mail.misc");
    const article = `From: Late <late@example.com>\r\nNewsgroups: comp.mail.misc\r\nSubject: Posted later\r\n\r\nlate\r\n`;
    expect(await postArticle(playground, article)).toMatch(/^240 /);
    const after = (await get("/console/api/news")).json.groups.find((g: any) => g.name === "comp.mail.misc");
    expect(after).toMatchObject({ high: before.high + 1, count: before.count + 1 });
    const { json } = await get("/console/api/news/comp.mail.misc");
    expect(json.threads.at(-1)).toMatchObject({ number: before.high + 1, subject: "Posted later", replies: [] });
  });

  test("one article: headers, body (dot-stuffing undone), raw", async () => {
    const { json } = await get("/console/api/news/playground.test/5");
    expect(json).toMatchObject({ group: "playground.test", number: 5, subject: "Re: Console thread" });
    expect(json.text).toContain(".A line starting with a dot.");
    expect(json.headers.find((h: any) => h.name === "References").value).toBe(ROOT_ID);
    expect(json.headers.find((h: any) => h.name === "Xref").value).toMatch(/playground\.test:5/);
    expect(json.raw).toContain("\r\n");
    await expectError("/console/api/news/playground.test/99", 404);
    await expectError("/console/api/news/playground.test/abc", 404);
    await expectError("/console/api/news/no.such.group", 404);
    await expectError("/console/api/news/playground.test/5/more", 404);
  });
});

describe("a student sees only their own", () => {
  test("friend@example.org: their mailbox, no one else's; no FTP home of theirs to see but pub", async () => {
    const base = await playground.baseFor({ teacher: false, account: "friend@example.org" });
    const { json } = await get("/console/api/mailboxes", base);
    expect(json.mailboxes.map((m: any) => m.address)).toEqual(["friend@example.org"]);
    expect((await get(friendInbox, base)).status).toBe(200);
    await expectError("/console/api/mailboxes/me@example.com", 403, base);
    await expectError("/console/api/mailboxes/ME@example.com/INBOX", 403, base);
    const top = await get("/console/api/ftp", base);
    expect(top.json.entries.map((e: any) => e.name)).toEqual(["pub"]);
    expect((await get("/console/api/ftp?path=/home", base)).json.entries).toEqual([]);
    await expectError("/console/api/ftp?path=/home/me", 403, base);
    await expectError("/console/api/ftp/download?path=/pub/../home/me/notes.txt", 403, base);
    await expectError("/console/api/ftp/download?path=/home/friend/../me/notes.txt", 403, base);
    expect((await get("/console/api/news", base)).status).toBe(200); // newsgroups are public
  });

  test("me: their own FTP home", async () => {
    const base = await playground.baseFor({ teacher: false, account: "me" });
    expect((await get("/console/api/ftp?path=/home", base)).json.entries.map((e: any) => e.name)).toEqual(["me"]);
    expect((await get("/console/api/ftp/download?path=/home/me/notes.txt", base)).body.toString()).toBe("uploaded by basic-ftp\n");
    await expectError("/console/api/ftp?path=/home/friend", 403, base);
    expect((await get("/console/api/mailboxes", base)).json.mailboxes).toEqual([]);
  });
});

test("looking changes nothing: the same files, sizes and times before and after every view", async () => {
  const before = [await snapshot(join(playground.dataDir, "mail")), await snapshot(join(playground.dataDir, "news")), await snapshot(join(playground.dataDir, "ftp"))];
  await get("/console/api/mailboxes");
  for (const address of ["friend@example.org", "me@example.com"]) {
    const list = await get(`/console/api/mailboxes/${address}/INBOX`);
    for (const message of list.json.messages) {
      for (const tail of ["", "/raw", "/html", "/attachments/0"]) await get(`/console/api/mailboxes/${address}/INBOX/${encodeURIComponent(message.id)}${tail}`);
    }
  }
  for (const path of ["/", "/pub", "/home/me"]) await get(`/console/api/ftp?path=${path}`);
  await get("/console/api/ftp/download?path=/home/me/notes.txt");
  const { json } = await get("/console/api/news");
  for (const group of json.groups) await get(`/console/api/news/${group.name}`);
  await get("/console/api/news/playground.test/4");
  const after = [await snapshot(join(playground.dataDir, "mail")), await snapshot(join(playground.dataDir, "news")), await snapshot(join(playground.dataDir, "ftp"))];
  expect(after).toEqual(before);
  // No IMAP UID list was written into a Maildir (only the IMAP server numbers messages).
  expect(before[0].some((line) => line.includes("imap-uidlist"))).toBe(false);
});

test("after an IMAP client (Python's imaplib) opened the folder: the UIDs it was given, its keywords, its new folders", async () => {
  const script = `import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("friend@example.org", "secret")
m.select("INBOX")
m.uid("STORE", "1", "+FLAGS", "($Forwarded \\\\Flagged)")
m.logout()`;
  const { code, stderr } = await runProgram("python3", ["-c", script, String(playground.mail.ports.imap)], { timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  const list = await get(friendInbox);
  expect(list.json.uidValidity).toBeGreaterThan(1_000_000_000);
  const [message] = list.json.messages;
  expect(message.uid).toBe(1);
  expect(message.flags.sort()).toEqual(["$Forwarded", "\\Flagged", "\\Seen"]);
  const { json } = await get(`${friendInbox}/${encodeURIComponent(message.id)}`);
  expect(json).toMatchObject({ uid: 1, uidValidity: list.json.uidValidity });
  const folders = (await get("/console/api/mailboxes/friend@example.org")).json.folders.map((f: any) => f.name);
  expect(folders).toEqual(["INBOX", "Drafts", "Junk", "Sent", "Trash"]); // made by the IMAP server at the first login
});
