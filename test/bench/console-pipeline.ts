// npx tsx test/bench/console-pipeline.ts [messages] [--tick]   — default 20,000
//
// What the console costs per message along its whole path, in one process (no sockets, no worker):
// a server's bytes into a SessionReporter (cut, masked, folded), the messenger's batches, the
// structured clone a postMessage makes, unpack, the store, and (streaming) a page's event stream.
// Two exchanges, as the benches make them: SMTP (MAIL, RCPT, DATA; 250, 250, 354; a 2 KB body;
// 250) and POP3 RETR (RETR n; +OK and a 2 KB message). Run through the code before a body's lines
// went raw (test/servers/console-before-raw/) and today's (raw bytes, cut on arrival), in turn.
// A diagnostic for issue 16.
// --tick: the clock moves 1 ms at each call, as on a busy server, where each report lands in a
// millisecond of its own (so each line's time is made anew, and lines of different reports are
// never packed into one block); without it a whole batch shares a few milliseconds.

import { EventEmitter } from "node:events";
import type http from "node:http";
import type { Activity } from "../../servers/activity.ts";
import * as newBridge from "../../servers/activity-bridge.ts";
import * as newApi from "../../servers/console/api.ts";
import * as newStore from "../../servers/console/sessions.ts";
import { POP3_MASK, smtpMask } from "../../servers/masks.ts";
import * as newReport from "../../servers/session-report.ts";
import * as oldBridge from "../servers/console-before-raw/activity-bridge.ts";
import * as oldApi from "../servers/console-before-raw/api.ts";
import * as oldStore from "../servers/console-before-raw/sessions.ts";
import * as oldReport from "../servers/console-before-raw/session-report.ts";

const messages = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 20_000);
if (process.argv.includes("--tick")) {
  let clock = Date.now();
  Date.now = () => ++clock;
}
const PIPELINES = {
  before: { report: oldReport, bridge: oldBridge, store: oldStore, api: oldApi },
  today: { report: newReport, bridge: newBridge, store: newStore, api: newApi },
};

function smtpBody(n: number): Buffer {
  let text = `From: me@example.com\r\nTo: me@example.com\r\nSubject: bench message ${n}\r\nMessage-ID: <${n}@bench>\r\n\r\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? ".." : ""}line ${line} of message ${n}: ${"x".repeat(48)}\r\n`;
  return Buffer.from(text + ".\r\n");
}

class Sink extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  writableLength = 0;
  writableNeedDrain = false;
  bytes = 0;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.bytes += chunk.length;
    return true;
  }
  end(): void {}
}

function run(which: keyof typeof PIPELINES, protocol: "smtp" | "pop3", streaming: boolean): number {
  const { report, bridge, store: storeModule, api } = PIPELINES[which];
  const store = new storeModule.SessionStore();
  // Today the raw bytes are cut on arrival (as the supervisor does), in the same process here.
  const cutter = which === "today" ? newBridge.cutOnArrival(store as unknown as Activity, undefined, (_method, error) => { throw error; }) : undefined;
  const messenger = bridge.activityMessenger((message) => {
    if (cutter) return cutter.receive(structuredClone(message));
    for (const call of bridge.unpack(structuredClone(message) as typeof message)) bridge.reportActivity(store as unknown as Activity, call as never);
  });
  const request = Object.assign(new EventEmitter(), { url: "/console/api/events", method: "GET" }) as unknown as http.IncomingMessage;
  if (streaming) api.handleSessionsApi(request, new Sink() as unknown as http.ServerResponse, "/console/api/events", { teacher: true }, store as never);
  const bodies = Array.from({ length: 100 }, (_, n) => smtpBody(n));
  const replies = [Buffer.from("250 Accepted\r\n"), Buffer.from("250 Accepted\r\n"), Buffer.from("354 End data with <CR><LF>.<CR><LF>\r\n")];
  const commands = Buffer.from("MAIL FROM:<me@example.com>\r\nRCPT TO:<me@example.com>\r\nDATA\r\n");
  const pop3Bodies = bodies.map((body) => body.subarray(0, body.length - 3).toString("latin1").replace(/^\.\./gm, "."));
  const start = process.cpuUsage();
  let reporter: InstanceType<typeof report.SessionReporter> | undefined;
  for (let m = 0; m < messages; m++) {
    if (m % 300 === 0) {
      reporter?.closed("QUIT");
      reporter = new report.SessionReporter(messenger.activity, { protocol, port: 1, client: "127.0.0.1:1", tls: false, label: "x", mask: protocol === "smtp" ? smtpMask() : POP3_MASK });
    }
    const body = (side: "C" | "S", bytes: Buffer) => ("body" in reporter! && which === "today" ? (reporter as newReport.SessionReporter).body(side, bytes) : reporter!.data(side, bytes));
    if (protocol === "smtp") {
      reporter!.data("C", commands);
      for (const reply of replies) reporter!.data("S", reply);
      body("C", bodies[m % 100]!);
      reporter!.data("S", Buffer.from(`250 Ok: queued as ${m}\r\n`));
    } else {
      reporter!.data("C", Buffer.from(`RETR ${m + 1}\r\n`));
      const text = pop3Bodies[m % 100]!;
      reporter!.data("S", Buffer.from(`+OK ${text.length} octets\r\n`));
      body("S", Buffer.from(text + ".\r\n", "latin1"));
    }
    if (m % 25 === 24) messenger.flush(); // about what 10 ms hold
  }
  messenger.flush();
  const { user, system } = process.cpuUsage(start);
  request.emit("close");
  return (user + system) / messages;
}

for (const protocol of ["smtp", "pop3"] as const) {
  for (const streaming of [false, true]) {
    const results: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const which of ["before", "today"] as const) {
        const us = run(which, protocol, streaming);
        if (round > 0) results.push(`${which} ${us.toFixed(1)}`);
      }
    }
    console.log(`${protocol}${streaming ? " + streaming" : ""}: µs per message: ${results.join(", ")}`);
  }
}
