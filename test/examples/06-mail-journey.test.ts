// Lesson 06's example as a learner runs it, against a mail system of its own (free ports, fresh
// data dir); and the Python of the lesson (mailbox + email) reading the same Maildir.
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";
import { receivedHops } from "../../lessons/06-how-email-works/solution.ts";
import { mailPlayground } from "../lessons/06-how-email-works/mail-playground.ts";

test("mail-journey sends me@example.com → friend@example.org, finds the file, prints two hops", async () => {
  const mail = await mailPlayground();
  const { code, stdout, stderr } = await runExample("examples/mail-journey.ts", {
    env: { SMTP_PORT: String(mail.ports.submission), DATA_DIR: mail.dataDir },
    timeoutMs: 20_000,
  });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Sent to 127\.0\.0\.1:\d+, which answered: 250 /);
  const file = /^Stored as (.+)$/m.exec(stdout)?.[1];
  expect(file, "the example names the stored file").toContain(join(mail.mailRoot, "friend@example.org", "new"));
  expect(stdout).toContain("2 Received: headers — read them from the bottom up:");
  expect(stdout).toMatch(/hop 1: from \S+ by smtp\.example\.com at /);
  expect(stdout).toMatch(/hop 2: from smtp\.example\.com by mx\.example\.org at /);
});

test("mail-journey without a playground says how to start one", async () => {
  const { code, stderr } = await runExample("examples/mail-journey.ts", { env: { DATA_DIR: "/nonexistent-playground" } });
  expect(code).toBe(1);
  expect(stderr).toContain("No certificate at /nonexistent-playground/tls/cert.pem — start the playground (npm start)");
});

test("the reference receivedHops agrees with the example on a real relayed message", async () => {
  const mail = await mailPlayground();
  const { stdout } = await runExample("examples/mail-journey.ts", {
    env: { SMTP_PORT: String(mail.ports.submission), DATA_DIR: mail.dataDir },
    timeoutMs: 20_000,
  });
  const file = /^Stored as (.+)$/m.exec(stdout)![1]!;
  const hops = receivedHops(await readFile(file, "utf8"));
  expect(hops.map((hop) => hop.by)).toEqual(["smtp.example.com", "mx.example.org"]);
  expect(hops[1]!.from).toBe("smtp.example.com");
});

test.skipIf(!hasPython)("Python's mailbox module reads the same Maildir and its stamps (the lesson's Python)", async () => {
  const mail = await mailPlayground();
  await runExample("examples/mail-journey.ts", { env: { SMTP_PORT: String(mail.ports.submission), DATA_DIR: mail.dataDir }, timeoutMs: 20_000 });
  const script = join(mail.dataDir, "hops.py");
  writeFileSync(
    script,
    [
      "import mailbox",
      "",
      `box = mailbox.Maildir(${JSON.stringify(join(mail.mailRoot, "friend@example.org"))}, create=False)`,
      "for key, msg in box.items():",
      "    stamps = msg.get_all('Received', [])",
      "    print(msg['Subject'], '-', len(stamps), 'hops')",
      "    for stamp in reversed(stamps):",
      "        print('   ', ' '.join(stamp.split()))",
      "",
    ].join("\n"),
  );
  const { code, stdout, stderr } = await runProgram("python3", [script]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(/^The journey, .* - 2 hops\n {4}from \S+ \(\[127\.0\.0\.1\]\) by smtp\.example\.com .*\n {4}from smtp\.example\.com \(\[127\.0\.0\.1\]\) by mx\.example\.org /m);
});
