// npm run bench                      — every bench, one after the other (a few minutes)
// npm run bench -- --only ftp,smtp    — just some of them: echo, smtp, pop3, imap, ftp, nntp, site, kit
// npm run bench -- --quick / --tiny   — passed on to each bench (smaller sizes)
//
// Each bench is its own script, runnable alone (`npx tsx test/bench/ftp.ts --quick`), and
// each compares side by side within its own run. They run one at a time, never together:
// two benches at once would share the two cores and measure each other.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BENCHES = {
  echo: "run.ts", // the TCP/UDP echo examples against minimal echo servers
  smtp: "smtp.ts", // SMTP messages/s accepted and stored
  pop3: "pop3.ts", // POP3 RETR throughput on a big mailbox, memory per session
  imap: "imap.ts", // IMAP FETCH/SEARCH on a 10,000-message INBOX, IDLE wake-up, memory per session, beside Dovecot
  ftp: "ftp.ts", // FTP RETR/STOR MB/s and logins/s, beside pyftpdlib
  nntp: "nntp.ts", // NNTP OVER lines/s, ARTICLE/s, POST/s on a 10,000-article group
  site: "site.ts", // lesson site build time and page weight against the budgets
  kit: "kit.ts", // how long a learner waits for npm test: fresh, one lesson, every solution in
} as const;
type BenchName = keyof typeof BENCHES;

const { values, tokens } = parseArgs({
  options: { only: { type: "string" }, quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
  tokens: true,
});
const names = (values.only?.split(",") ?? Object.keys(BENCHES)) as BenchName[];
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(", ")} — choose from ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
// Everything but --only goes to each bench as it was typed.
const passOn = tokens.flatMap((token) =>
  token.kind === "option" && token.name !== "only" ? [token.rawName, ...(token.value === undefined ? [] : [token.value])] : [],
);

let failed = 0;
for (const name of names) {
  const file = fileURLToPath(new URL(BENCHES[name], import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n==== bench: ${name} (test/bench/${BENCHES[name]}) ====\n`);
  const { status, signal } = spawnSync(process.execPath, ["--import", "tsx", file, ...passOn], { stdio: "inherit" });
  if (signal === "SIGINT") process.exit(130);
  if (status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${status ?? signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
