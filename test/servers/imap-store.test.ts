// The IMAP mailbox store (servers/mail/mailbox-store.ts) on real Maildirs in a temp dir:
// UIDs, UIDVALIDITY, flags in file names, keywords, folders, and a crash at a random moment.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { deliver } from "../../servers/mail/maildir.ts";
import { forgetOpenFolders, MailStore } from "../../servers/mail/mailbox-store.ts";
import { Maildrop } from "../../servers/mail/maildrop.ts";
import { decodeMailboxName, encodeMailboxName } from "../../servers/mail/mutf7.ts";
import { ROOT } from "../kit/processes.ts";

const ME = "me@example.com";
let mailRoot = "";

beforeEach(async () => {
  mailRoot = join(await mkdtemp(join(tmpdir(), "imap-store-")), "mail");
  forgetOpenFolders();
});
afterEach(async () => {
  forgetOpenFolders();
  await rm(join(mailRoot, ".."), { recursive: true, force: true });
});

const send = (text: string) => deliver(mailRoot, ME, Buffer.from(text), { fsync: false });
/** What a restart of the playground does: nothing is remembered but the files. */
const restart = async () => {
  forgetOpenFolders();
  return MailStore.open(mailRoot, ME);
};

describe("modified UTF-7 folder names (RFC 3501 §5.1.3)", () => {
  test.each([
    ["INBOX", "INBOX"],
    ["Entwürfe", "Entw&APw-rfe"],
    ["已发送", "&XfJT0ZAB-"],
    ["R&D", "R&-D"],
    ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"], // RFC 3501's own example
  ])("%s ⇄ %s", (text, wire) => {
    expect(encodeMailboxName(text)).toBe(wire);
    expect(decodeMailboxName(wire)).toBe(text);
  });

  test("bad spellings are refused", () => {
    expect(() => decodeMailboxName("a&Jjo")).toThrow(/closing/);
    expect(() => decodeMailboxName("ü")).toThrow(/7-bit/);
    expect(() => decodeMailboxName("&AA-")).toThrow(/UTF-16/);
  });
});

describe("folders", () => {
  test("Sent, Drafts, Trash and Junk exist and are subscribed from the first open", async () => {
    const store = await MailStore.open(mailRoot, ME);
    expect(await store.folderNames()).toEqual(["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
    expect((await store.subscriptions()).sort()).toEqual(["Drafts", "Junk", "Sent", "Trash"]);
    await rm(join(mailRoot, ME, ".Junk"), { recursive: true });
    await store.unsubscribe("Junk");
    expect(await (await restart()).folderNames()).toContain("Junk"); // made again at the next open
  });

  test("create, rename (with subfolders), delete; a Chinese name round-trips to disk and back", async () => {
    const store = await MailStore.open(mailRoot, ME);
    const chinese = encodeMailboxName("工作");
    await store.create(chinese);
    await store.create(`${chinese}.2026`);
    await expect(store.create(chinese)).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    expect(await readdir(join(mailRoot, ME))).toContain(".&XeVPXA-");
    await store.rename(chinese, "Work");
    expect(await store.folderNames()).toEqual(["INBOX", "Drafts", "Junk", "Sent", "Trash", "Work", "Work.2026"]);
    await store.delete("Work");
    expect(await store.folderNames()).toContain("Work.2026");
    await expect(store.delete("INBOX")).rejects.toMatchObject({ code: "CANNOT" });
    await expect(store.folder("Nope")).rejects.toMatchObject({ code: "NONEXISTENT" });
    for (const bad of ["../x", "a..b", "a/b", ".hidden", "a*"]) await expect(store.create(bad)).rejects.toMatchObject({ code: "CANNOT" });
  });
});

describe("UIDs (RFC 3501 §2.3.1.1)", () => {
  test("ascend in delivery order, survive a restart, and are never given out twice", async () => {
    for (const n of [1, 2, 3]) await send(`Subject: ${n}\n\nbody ${n}\n`);
    let inbox = await (await MailStore.open(mailRoot, ME)).folder("INBOX");
    expect(inbox.messages.map((m) => m.uid)).toEqual([1, 2, 3]);
    const validity = inbox.uidValidity;
    expect((await inbox.read(inbox.messages[0])).toString()).toBe("Subject: 1\r\n\r\nbody 1\r\n");

    inbox = await (await restart()).folder("INBOX");
    expect(inbox.uidValidity).toBe(validity);
    expect(inbox.messages.map((m) => m.uid)).toEqual([1, 2, 3]);
    await inbox.expunge([inbox.messages[2]]); // the highest UID goes…
    await send("Subject: 4\n\nbody 4\n");
    inbox = await (await restart()).folder("INBOX");
    expect(inbox.messages.map((m) => m.uid)).toEqual([1, 2, 4]); // …and is not given out again
    expect(inbox.uidNext).toBe(5);
  });

  test("a damaged uid list starts a new numbering with a larger UIDVALIDITY", async () => {
    await send("Subject: 1\n\nx\n");
    const inbox = await (await MailStore.open(mailRoot, ME)).folder("INBOX");
    const before = inbox.uidValidity;
    await writeFile(join(mailRoot, ME, "imap-uidlist"), "garbage\n");
    await new Promise((resolve) => setTimeout(resolve, 1100)); // UIDVALIDITY counts seconds
    const again = await (await restart()).folder("INBOX");
    expect(again.uidValidity).toBeGreaterThan(before);
    expect(again.messages.map((m) => m.uid)).toEqual([1]);
  });

  test("POP3 and IMAP see one message: POP3's RETR (new/ → cur/:2,S) keeps the UID and shows \\Seen; DELE shows as gone", async () => {
    await send("Subject: 1\n\none\n");
    await send("Subject: 2\n\ntwo\n");
    const inbox = await (await MailStore.open(mailRoot, ME)).folder("INBOX");
    const maildrop = await Maildrop.open(mailRoot, ME);
    await maildrop.markSeen(maildrop.messages[0]);
    await maildrop.remove([maildrop.messages[1]]);
    await inbox.refresh();
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0].uid).toBe(1);
    expect([...inbox.messages[0].flags]).toEqual(["\\Seen"]);
  });
});

describe("flags", () => {
  test("system flags go into the Maildir name, keywords into imap-uidlist; both survive a restart", async () => {
    await send("Subject: 1\n\nx\n");
    const inbox = await (await MailStore.open(mailRoot, ME)).folder("INBOX");
    await inbox.setFlags(inbox.messages[0], new Set(["\\Seen", "\\Flagged", "\\Deleted", "$Forwarded", "todo"]));
    const [file] = await readdir(join(mailRoot, ME, "cur"));
    expect(file).toMatch(/:2,FST$/);
    const again = await (await restart()).folder("INBOX");
    expect([...again.messages[0].flags].sort()).toEqual(["$Forwarded", "\\Deleted", "\\Flagged", "\\Seen", "todo"]);
    expect(again.keywords()).toEqual(["$Forwarded", "todo"]);
  });

  test("append stores into a subfolder with flags and date; \\Recent goes to the first session only", async () => {
    const store = await MailStore.open(mailRoot, ME);
    const sent = await store.folder("Sent");
    const when = new Date("2026-01-02T03:04:05Z");
    const stored = await sent.append(Buffer.from("Subject: hi\r\n\r\nyo\r\n"), new Set(["\\Seen", "sent-by-me"]), when);
    expect(stored.uid).toBe(1);
    expect(stored.size).toBe(Buffer.byteLength("Subject: hi\r\n\r\nyo\r\n"));
    expect((await sent.internalDate(stored)).toISOString()).toBe(when.toISOString());
    expect([...stored.flags].sort()).toEqual(["\\Seen", "sent-by-me"]);
    expect([...sent.claimRecent()]).toEqual([1]);
    expect([...sent.claimRecent()]).toEqual([]);
  });
});

// A child process delivers and numbers messages as fast as it can and prints each UID only
// after refresh() returned (the moment a client could hear of it); we kill -9 it at a random
// moment, three times. Every UID it printed must still belong to the same file, every file
// must have exactly one UID, and no UID may appear twice.
const CHILD = String.raw`
import { deliver } from "./servers/mail/maildir.ts";
import { MailStore } from "./servers/mail/mailbox-store.ts";
const [mailRoot, address] = process.argv.slice(-2);
const store = await MailStore.open(mailRoot, address);
const inbox = await store.folder("INBOX");
for (let i = 0; ; i++) {
  await deliver(mailRoot, address, Buffer.from("Subject: " + i + "\n\nbody\n"), { fsync: false });
  await inbox.refresh();
  const last = inbox.messages.at(-1);
  process.stdout.write(last.uid + " " + last.base + "\n");
  if (i % 5 === 4) await inbox.expunge([inbox.messages[0]]);
}
`;

test("a crash at a random moment loses no message and leaves no duplicate UID", async () => {
  await MailStore.open(mailRoot, ME);
  const told = new Map<number, string>();
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD, mailRoot, ME], { cwd: ROOT });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    while (output.split("\n").length < 10 + Math.floor(Math.random() * 20)) {
      if (child.exitCode !== null) throw new Error(output);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill("SIGKILL");
    await once(child, "exit");
    for (const line of output.split("\n")) {
      const match = /^(\d+) (\S+)$/.exec(line);
      if (match) told.set(Number(match[1]), match[2]);
    }
  }
  const inbox = await (await restart()).folder("INBOX");
  const files = [...(await readdir(join(mailRoot, ME, "new"))), ...(await readdir(join(mailRoot, ME, "cur")))];
  const uids = inbox.messages.map((m) => m.uid);
  expect(new Set(uids).size).toBe(uids.length);
  expect(uids).toEqual([...uids].sort((a, b) => a - b));
  expect(inbox.messages.length).toBe(files.length); // every file has a UID
  for (const message of inbox.messages) {
    if (told.has(message.uid)) expect(told.get(message.uid)).toBe(message.base); // never renumbered
  }
  const highestTold = Math.max(...told.keys());
  expect(inbox.uidNext).toBeGreaterThan(highestTold);
  // The uid list on disk is whole (header line + one line per message).
  const list = await readFile(join(mailRoot, ME, "imap-uidlist"), "utf8");
  expect(list.trim().split("\n")).toHaveLength(inbox.messages.length + 1);
}, 60_000);
