// Lesson 14: cut a mailbox file (mbox) into its messages and list them, one line each.
//
//   npx tsx examples/forensics-split.ts                       lessons/14-spam-forensics/inbox.mbox
//   npx tsx examples/forensics-split.ts ~/mail/saved.mbox     any mbox file (Thunderbird, mutt, Python's mailbox)
//
// splitMbox is lesson 14's exercise; this file imports the reference solution. Once your
// exercise passes, change the import below to "../lessons/14-spam-forensics/exercise.ts".
// No network here: an mbox file is what a mail client keeps after POP3 has done its work.

import { readFile } from "node:fs/promises";
import { simpleParser } from "mailparser";
import { splitMbox } from "../lessons/14-spam-forensics/solution.ts";

const file = process.argv[2] ?? "lessons/14-spam-forensics/inbox.mbox";
const mbox = await readFile(file, "utf8").catch(() => {
  console.error(`Cannot read ${file} — give the path of an mbox file, or no argument for lessons/14-spam-forensics/inbox.mbox`);
  process.exit(1);
});

// #region list
const messages = splitMbox(mbox);
console.log(`${file}: ${messages.length} messages\n`);
for (const [index, raw] of messages.entries()) {
  // mailparser decodes the headers: "=?UTF-8?B?5ZGo5pyr…?=" (RFC 2047) becomes 周末一起吃饭吗？
  const parsed = await simpleParser(raw);
  const from = parsed.from?.value[0]?.address ?? "(no From:)";
  console.log(`${String(index + 1).padStart(3)}  ${from.padEnd(32)}  ${parsed.subject ?? "(no Subject:)"}`);
}
// #endregion list
