// Spec for lessons/10-round-trip: roundTrip() against the playground's mail system (a fresh
// one per check). The report is checked against what really happened: the Maildir file the
// message landed in is read from disk and compared with what the learner reports. The POP3 side
// goes through lesson 09's recording relay (pop3-wire.ts): every session must end with QUIT, and
// one check holds the message back until the first session has logged in — a maildrop is a
// snapshot taken at login, so only a new session can find it.
import net from "node:net";
import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { checkLesson, expectRejects, type Network } from "../../kit/checker.ts";
import { deliverViaMx, startPlayground, storedMessages, type Playground } from "../09-receiving-mail/playground.ts";
import { Pop3Wire, type Pop3WireOptions } from "../09-receiving-mail/pop3-wire.ts";
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

/** The headers of a raw message (CRLF) as the report should show them: lower-case names, every value, unfolded. */
function headersOf(wire: Buffer): Record<string, string[]> {
  const head = wire.toString("utf8").split("\r\n\r\n")[0]!.replace(/\r\n(?=[ \t])/g, "");
  const headers: Record<string, string[]> = {};
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  return headers;
}

/** The POP3 server behind the network and lesson 09's recording relay. */
async function pop3Wire(network: Network, playground: Playground, options?: Pop3WireOptions): Promise<Pop3Wire> {
  const wire = await Pop3Wire.start(await network.tcp(playground.system.ports.pop3), options);
  network.defer(() => wire.close());
  return wire;
}

/** Every POP3 session roundTrip opened ended with QUIT and its +OK (QUIT releases the maildrop lock, §6). */
function expectEverySessionQuit(wire: Pop3Wire): void {
  wire.sessions.forEach((session, i) => {
    if (!session.quitAnswered) {
      throw new Error(
        `POP3 session ${i + 1} of ${wire.sessions.length} ended without QUIT and its +OK (it sent: ${session.commands.join(", ")}): ` +
          "end every session with quit(), also when the message was not there (a finally block) — until QUIT, the server keeps the maildrop locked",
      );
    }
  });
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
        // An older message first: ours is not the only one, and not number 1.
        await deliverViaMx(playground, FRIEND, "From: someone@example.net\r\nSubject: older: 12:00\r\nMessage-ID: <older@example.net>\r\n\r\nhello\r\n");
        const pop3 = await pop3Wire(network, playground);
        const base = await options(playground, network);
        const report = await roundTrip({ ...base, pop3: { ...base.pop3, port: pop3.port } });
        expect(report.messageId, "messageId: your own <unique@domain>").toMatch(/^<[^<>\s@]+@[^<>\s@]+>$/);
        expectEverySessionQuit(pop3);

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
        expect(report.received.headers, "received.headers: lower-case names → every value, in order, unfolded (a value may hold ':')").toEqual(headersOf(wire));
      },
    },
    {
      name: "the message lands only after the first POP3 login: roundTrip looks again in a new session (a maildrop is a snapshot)",
      timeoutMs: 15_000,
      async run({ roundTrip }, network) {
        const playground = await startPlayground(network);
        const mailbox = join(playground.mailRoot, FRIEND);
        const files = (folder: string) => {
          try {
            return readdirSync(join(mailbox, folder)).filter((name) => !name.startsWith("."));
          } catch {
            return [];
          }
        };
        // Until the server has answered the first session's PASS, the message is kept out of
        // the maildrop (a name starting with "." is not a message); then it is put back.
        const held: { folder: string; name: string }[] = [];
        const wire = await pop3Wire(network, playground, {
          holdFirstLogin: {
            async before() {
              for (let waited = 0; waited < 5000 && held.length === 0; waited += 20) {
                for (const folder of ["new", "cur"]) {
                  for (const name of files(folder)) {
                    renameSync(join(mailbox, folder, name), join(mailbox, folder, `.held-${name}`));
                    held.push({ folder, name });
                  }
                }
                if (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
              }
            },
            after() {
              for (const { folder, name } of held.splice(0)) renameSync(join(mailbox, folder, `.held-${name}`), join(mailbox, folder, name));
            },
          },
        });
        const base = await options(playground, null);
        const outcome = await roundTrip({ ...base, pop3: { ...base.pop3, port: wire.port } }).then(
          (report) => ({ report }),
          (err: unknown) => ({ err }),
        );
        const [first] = wire.sessions;
        const stats = first?.commands.filter((command) => /^(STAT|LIST)\b/i.test(command)).length ?? 0;
        if ("err" in outcome && stats > 1) {
          throw new Error(
            `roundTrip looked ${stats} times in its first POP3 session and never found the message, which arrived after that session had logged in: ` +
              "a maildrop is a snapshot taken at login (RFC 1939 §8) — STAT in the same session shows the same messages. QUIT and log in again each time you look.",
          );
        }
        if ("err" in outcome) throw outcome.err;
        expect(wire.sessions.length, "POP3 sessions: the first could not see the message, a later one found it").toBeGreaterThan(1);
        expect(outcome.report.sameBody, "sameBody").toBe(true);
        expectEverySessionQuit(wire);
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
        const trip = roundTrip({ ...base, pop3: { ...base.pop3, user: ME } });
        trip.catch(() => {});
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("roundTrip was still waiting 3.5 s after it started, with timeoutMs 1500: give up once options.timeoutMs has passed")), 3500);
        });
        const err = await expectRejects(Promise.race([trip, late]).finally(() => clearTimeout(timer)), "roundTrip that reads the wrong mailbox");
        if (/still waiting/.test(err.message)) throw err;
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
