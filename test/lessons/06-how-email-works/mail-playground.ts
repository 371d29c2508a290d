// The playground mail system for the mail lessons' checks (06, 07, 08): started once per test
// file on free ports in a fresh data dir, stopped when the file's tests are done.
//
//   const mail = await mailPlayground();
//   ... send to mail.ports.submission ...
//   const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes(marker));

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { startMailSystem, type MailSystem } from "../../../servers/mail/index.ts";

export interface MailPlayground extends MailSystem {
  dataDir: string;
  /** <dataDir>/mail: one Maildir per address. */
  mailRoot: string;
}

let started: Promise<MailPlayground> | null = null;

/** The test file's mail system (started on first use). */
export function mailPlayground(): Promise<MailPlayground> {
  started ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "playground-mail-lessons-"));
    const system = await startMailSystem({
      dataDir,
      seed: false,
      ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 },
    });
    return { ...system, close: () => system.close(), dataDir, mailRoot: join(dataDir, "mail") };
  })();
  return started;
}

afterAll(async () => {
  if (!started) return;
  const mail = await started.catch(() => null);
  if (!mail) return;
  await mail.close();
  await rm(mail.dataDir, { recursive: true, force: true });
});

/** A word no other message contains: put it in a Subject and find the message by it. */
export function uniqueMarker(what: string): string {
  return `${what}-${randomBytes(6).toString("hex")}`;
}

/** The stored messages of a mailbox (new/ and cur/), as raw bytes. */
export async function storedMessages(mail: MailPlayground, address: string): Promise<{ file: string; raw: Buffer }[]> {
  const messages: { file: string; raw: Buffer }[] = [];
  for (const folder of ["new", "cur"]) {
    const dir = join(mail.mailRoot, address, folder);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const raw = await readFile(join(dir, name)).catch(() => null); // may be moved meanwhile
      if (raw) messages.push({ file: join(dir, name), raw });
    }
  }
  return messages;
}

/**
 * Waits until a message that `matches` is stored in the mailbox of `address`. Relayed mail
 * (example.com → example.org) takes a second SMTP hop, so it may arrive a moment after "250".
 */
export async function waitForMessage(
  mail: MailPlayground,
  address: string,
  matches: (text: string) => boolean,
  timeoutMs = 5000,
): Promise<{ file: string; raw: Buffer }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await storedMessages(mail, address)).find(({ raw }) => matches(raw.toString("latin1")));
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`no matching message arrived in ${join(mail.mailRoot, address)} within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
