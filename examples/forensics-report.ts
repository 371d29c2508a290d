// Lesson 14: the forensic report of a mailbox — for every message, the answers to Core Python's
// questions (which program sent it, is its Message-ID well formed, do From:, Return-Path: and
// the Received: path agree, where do its links really go) and the score they add up to.
//
//   npx tsx examples/forensics-report.ts                 every message of lessons/14-spam-forensics/inbox.mbox
//   npx tsx examples/forensics-report.ts 16              only message 16
//   MBOX=~/mail/saved.mbox npx tsx examples/forensics-report.ts
//
// The work is lesson 14's exercise; this file imports the reference solution. Once your
// exercise passes, change the import below to "../lessons/14-spam-forensics/exercise.ts" and
// the report is yours.

import { readFile } from "node:fs/promises";
import { inspect, score, splitMbox, type Findings, type Verdict } from "../lessons/14-spam-forensics/solution.ts";

const file = process.env.MBOX ?? "lessons/14-spam-forensics/inbox.mbox";
const only = process.argv[2] === undefined ? null : Number(process.argv[2]);
const mbox = await readFile(file, "utf8").catch(() => {
  console.error(`Cannot read ${file} — set MBOX to the path of an mbox file, or leave it out for inbox.mbox`);
  process.exit(1);
});
const messages = splitMbox(mbox);
if (only !== null && !(Number.isInteger(only) && only >= 1 && only <= messages.length)) {
  console.error(`There is no message ${process.argv[2]} — ${file} has messages 1 to ${messages.length}`);
  process.exit(1);
}

// #region report
let suspicious = 0;
for (const [index, raw] of messages.entries()) {
  if (only !== null && index + 1 !== only) continue;
  const findings = await inspect(raw);
  const verdict = score(findings);
  if (verdict.suspicious) suspicious++;
  console.log(report(index + 1, findings, verdict));
}
if (only === null) console.log(`${messages.length} messages, ${suspicious} suspicious`);
// #endregion report

function report(number: number, findings: Findings, verdict: Verdict): string {
  const { domains } = findings;
  const lines = [
    `#${number} ${verdict.suspicious ? "SUSPICIOUS" : "ok"} (score ${verdict.score})  ${findings.from ?? "(no From:)"}  "${findings.subject}"`,
    `    mailer: ${findings.mailer ?? "-"}`,
    `    Message-ID: ${findings.messageId ?? "(none)"} ${findings.messageIdWellFormed ? "(well formed)" : "(MALFORMED)"}`,
    `    domains: From ${domains.from ?? "-"}, Return-Path ${domains.returnPath ?? "-"}, path ${domains.receivedChain.join(" → ") || "-"}`,
    ...findings.authenticationWarnings.map((warning) => `    X-Authentication-Warning: ${warning}`),
    ...findings.authenticationResults.map((result) => `    Authentication-Results: ${result.replace(/\s+/g, " ")}`),
    ...findings.links.map(
      (link) =>
        `    link: ${link.href}\n          shown "${link.shownText}" → ${link.kind}` +
        (link.address !== null && link.address !== link.host ? ` ${link.address}` : "") +
        (link.mismatch ? ", MISMATCH" : ""),
    ),
    ...verdict.reasons.map((reason) => `    ${reason}`),
  ];
  return lines.join("\n") + "\n";
}
