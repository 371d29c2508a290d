// Spec for lessons/10-round-trip: roundTrip() against the playground's mail system (a fresh
// one per check). The report is checked against what really happened: the Maildir file the
// message landed in is read from disk and compared with what the learner reports.
import net from "node:net";
import { expect } from "vitest";
import { checkLesson, expectRejects, type Network } from "../../kit/checker.ts";
import { startPlayground, storedMessages, type Playground } from "../09-receiving-mail/playground.ts";
import * as exercise from "../../../lessons/10-round-trip/exercise.ts";
import type { RoundTripOptions } from "../../../lessons/10-round-trip/solution.ts";

type Lesson10 = typeof import("../../../lessons/10-round-trip/solution.ts");

const ME = "me@example.com";
const FRIEND = "friend@example.org";
const TEXT = "你好, friend!\n.a line that starts with a dot\n.\nSee you at noon.\n";

/** Options for a round trip through `playground`, with the ports the network says to use. */
async function options(playground: Playground, network: Network | null, changes: Partial<RoundTripOptions> = {}): Promise<RoundTripOptions> {
  const { submission, pop3 } = playground.system.ports;
  return {
    smtp: { host: "127.0.0.1", port: network ? await network.tcp(submission) : submission, user: ME, password: "secret" },
    pop3: { host: "127.0.0.1", port: network ? await network.tcp(pop3) : pop3, user: FRIEND, password: "secret" },
    ca: playground.ca,
    from: ME,
    to: FRIEND,
    subject: "来自SMTP的问候 — the round trip",
    text: TEXT,
    timeoutMs: 5000,
    ...changes,
  };
}

/** Header names of a raw message (CRLF), lower-cased, and how many Received: lines it has. */
function headerNames(wire: Buffer): { names: string[]; received: number } {
  const head = wire.toString("utf8").split("\r\n\r\n")[0]!.replace(/\r\n(?=[ \t])/g, "");
  const names = head.split("\r\n").map((line) => line.slice(0, line.indexOf(":")).trim().toLowerCase());
  return { names: [...new Set(names)], received: names.filter((name) => name === "received").length };
}

/** A port nothing listens on: listen on any free port, then close it again. */
async function deadPort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

checkLesson<Lesson10>("10-round-trip", {
  exercise,
  checks: [
    {
      name: "me@example.com → friend@example.org: same body, same headers, 2 hops (Received: twice)",
      network: true,
      timeoutMs: 15_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const report = await roundTrip(await options(playground, network));
        expect(report.messageId, "messageId: your own <unique@domain>").toMatch(/^<[^<>\s@]+@[^<>\s@]+>$/);

        // What really arrived: the Maildir file holding this Message-ID.
        const stored = storedMessages(playground, FRIEND).find((m) => m.wire.includes(report.messageId));
        expect(stored, `a message with ${report.messageId} in ${FRIEND}'s Maildir`).toBeDefined();
        const wire = stored!.wire;
        const { names, received } = headerNames(wire);
        expect(received, "(the playground stamped the message twice: submission server and MX)").toBe(2);

        expect(report.received.body, "received.body: everything after the first blank line, as RETR sent it").toBe(
          wire.toString("utf8").slice(wire.toString("utf8").indexOf("\r\n\r\n") + 4),
        );
        expect(report.sent.headers["message-id"], 'sent.headers["message-id"]: lower-case names, a list of values').toEqual([report.messageId]);
        expect(report.sent.headers["subject"]?.length, "sent.headers.subject: one value").toBe(1);
        expect(report.sent.body, "sent.body: CRLF line endings, as it went over the wire").not.toMatch(/(^|[^\r])\n/);
        expect(report.sameBody, "sameBody").toBe(true);
        expect(report.differingHeaders, "differingHeaders: nothing changed on the way").toEqual([]);
        expect(report.missingHeaders, "missingHeaders: nothing was lost on the way").toEqual([]);
        const added = names.filter((name) => !(name in report.sent.headers)).sort();
        expect(report.addedHeaders, "addedHeaders: the header names in the stored message that you did not send").toEqual(added);
        expect(report.addedHeaders, "addedHeaders").toContain("received");
        expect(report.hops, "hops: Received: headers in the message that arrived").toBe(2);
      },
    },
    {
      name: "a wrong SMTP password: rejects, naming the SMTP step and the server's 535",
      timeoutMs: 10_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const base = await options(playground, null);
        const err = await expectRejects(roundTrip({ ...base, smtp: { ...base.smtp, password: "not-secret" } }), "roundTrip with a wrong SMTP password");
        expect(err.message, "the error names the step: SMTP").toMatch(/smtp/i);
        expect(err.message, "the error carries the server's answer").toMatch(/535/);
      },
    },
    {
      name: "a wrong POP3 password: rejects, naming the POP3 step and the server's -ERR",
      timeoutMs: 10_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const base = await options(playground, null);
        const err = await expectRejects(roundTrip({ ...base, pop3: { ...base.pop3, password: "not-secret" } }), "roundTrip with a wrong POP3 password");
        expect(err.message, "the error names the step: POP3").toMatch(/pop3/i);
        expect(err.message, "the error carries the server's answer").toMatch(/-ERR/);
      },
    },
    {
      name: "no SMTP server on that port: rejects, naming the SMTP step and the refused connection",
      timeoutMs: 10_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const base = await options(playground, null);
        const err = await expectRejects(roundTrip({ ...base, smtp: { ...base.smtp, port: await deadPort() } }), "roundTrip to a dead SMTP port");
        expect(err.message, "the error names the step: SMTP").toMatch(/smtp/i);
        expect(err.message, "the error says why").toMatch(/ECONNREFUSED|refused/i);
      },
    },
    {
      name: "the message never arrives in the mailbox read: rejects after timeoutMs, saying it timed out",
      timeoutMs: 6000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        // Sent to friend@example.org, looked for in me@example.com's mailbox: it can never be there.
        const base = await options(playground, null, { timeoutMs: 1500 });
        const started = Date.now();
        const err = await expectRejects(roundTrip({ ...base, pop3: { ...base.pop3, user: ME } }), "roundTrip that reads the wrong mailbox");
        expect(err.message, "the error says it timed out waiting").toMatch(/timed out|timeout|never arrived/i);
        expect(Date.now() - started, "it gave up after about timeoutMs (1500 ms)").toBeGreaterThanOrEqual(1400);
      },
    },
    {
      name: "me@example.com → me@example.com: delivered locally, 1 hop",
      timeoutMs: 10_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const report = await roundTrip(await options(playground, null, { to: ME, pop3: { host: "127.0.0.1", port: playground.system.ports.pop3, user: ME, password: "secret" } }));
        expect(report.sameBody, "sameBody").toBe(true);
        expect(report.differingHeaders, "differingHeaders").toEqual([]);
        expect(report.hops, "hops: one server, one Received:").toBe(1);
      },
    },
  ],
});
