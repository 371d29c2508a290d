// Records the conversations the lesson site shows: `npm run transcripts`.
//
// For every scenario in site/transcripts/scenarios.ts it starts the real server(s), puts
// a recording proxy in between (servers/hostile-proxy.ts with the friendly profile: it
// passes every byte through unchanged), runs the real example client against the proxy,
// and saves what crossed the wire as site/transcripts/<name>.json:
//
//   client (examples/*-client.ts) ──▶ recording proxy ──▶ server (examples/*-server.ts,
//                                                          or a playground server in-process)
//
// The recordings are committed, and test/site/transcripts.test.ts records them again and
// fails when they differ, so the site can never show a conversation the code no longer has.
// That only works if a recording is the same every time, so:
//   - Ports, dates and times change from run to run: "normalizers" replace them with fixed
//     values (the port the lesson uses, the Unix epoch), and the recording says so.
//   - TCP delivers bytes, not messages: the same run may arrive as 1 chunk or 3. We record
//     at the level that IS fixed: all bytes one side sends until the other side speaks
//     (or a FIN) are one message.
//   - A client that sends without waiting for answers would interleave differently each
//     run: such scenarios "type" their input one line at a time, each line once the server
//     has answered the previous one.
//
// ADDING A SCENARIO (e.g. for a mail or FTP lesson) is a few lines in site/transcripts/scenarios.ts:
//
//   {
//     name: "smtp-send",                      // → site/transcripts/smtp-send.json
//     lesson: "07-smtp-client",
//     title: "An SMTP client sends one message",
//     servers: [{ example: "examples/smtp-server.ts", transport: "tcp", port: 2525 }],
//     //  or, a playground server in this process:
//     //  [{ label: "npm start (SMTP)", transport: "tcp", port: 2525, portEnv: "SMTP_PORT",
//     //     start: async () => { …; return { port, close } } }]
//     client: { example: "examples/smtp-send.ts", args: ["--to", "bob@example.test"], stdin: "Hi Bob\n" },
//     //  stdin is written at once; `typed: ["HELO x", "QUIT"]` types line by line instead, each
//     //  line once the server has answered (for clients that do not wait for answers themselves);
//     //  a list of clients runs them one after the other.
//     normalize: [{ what: "the message id", pattern: /<[\w.-]+@playground>/g, replacement: "<id@playground>" }],
//     mask: { what: "the password", line: (line, side) => (side === "C" && line.startsWith("PASS ") ? "PASS ******\\r\\n" : line) },
//     //  the proxy records raw bytes, passwords too: mask them (the same hook as servers/transcript.ts)
//     //  bothClose: "server first"   — only if both sides close without waiting for each other
//   },
//
// A client that upgrades with STARTTLS (imapflow, nodemailer) would leave nothing readable after
// the upgrade: give its server `startTls: { cert, key, servername }` and it is recorded through
// site/starttls-proxy.ts, which does both TLS handshakes itself and records what is between.
//
// then run `npm run transcripts -- smtp-send` and add `<!-- transcript: smtp-send -->` to the
// lesson's README where the conversation should appear.
//
//   npm run transcripts                     records every scenario, writes the changed files
//   npm run transcripts -- tcp-echo greeting   only these

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { isUtf8 } from "node:buffer";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { PROFILES, startTcpProxy, startUdpProxy } from "../servers/hostile-proxy.ts";
import { Transcript as LineTranscript, escapeBytes, type Side } from "../servers/transcript.ts";
import { startStartTlsProxy, TLS_NOTE } from "./starttls-proxy.ts";
import { SCENARIOS } from "./transcripts/scenarios.ts";
import { syncAllReadmes } from "./readme-sync.ts";
import { TRANSCRIPTS_DIR, type Connection, type Transcript, type TranscriptEvent } from "./transcript-render.ts";

// ---- what a scenario is ------------------------------------------------------------

export interface Scenario {
  /** The file name (site/transcripts/<name>.json) and the README marker's name. */
  name: string;
  /** The lesson that shows it, e.g. "03-tcp-server". */
  lesson: string;
  /** One line: what happens in this conversation (the caption's first words). */
  title: string;
  /** Usually one; each gets its own recording proxy. */
  servers: ServerToStart[];
  /** The client run; a list runs one client after the other (e.g. two clients of one UDP server). */
  client: ClientToRun | ClientToRun[];
  /** Replacements for what changes from run to run (the ports are replaced for you). */
  normalize?: Normalizer[];
  /** Hides secrets (a password, its base64) that the proxy saw on the wire. */
  mask?: Mask;
  /**
   * When both sides end the connection on their own (neither waits for the other's FIN),
   * which FIN reaches the proxy first changes from run to run: say which one to show first.
   * Leave it out when one FIN answers the other (then the recorded order is always the same).
   */
  bothClose?: "server first" | "client first";
}

export type ServerToStart = {
  transport: "tcp" | "udp";
  /** The port the lesson uses (8888, 8080, 2525 …): the real, random one is shown as this. */
  port: number;
  /** The client's environment variable for this server's port (default PORT). */
  portEnv?: string;
  /**
   * The client upgrades with STARTTLS: record through site/starttls-proxy.ts, which holds this
   * certificate's key and so can show the conversation after the upgrade, decrypted.
   */
  startTls?: { cert: string; key: string; servername: string };
} & (
  | { /** An example server, run as `npx tsx examples/….ts` with PORT=0. */ example: string }
  | { /** How the lesson starts it, e.g. "npm start". */ label: string; start(): Promise<RunningServer> }
);

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export interface ClientToRun {
  /** An example client, run as `npx tsx examples/….ts` with HOST and PORT pointing at the proxy. */
  example: string;
  args?: string[];
  /** Input written all at once (like `printf '…' |`). */
  stdin?: string;
  /** Input typed one line at a time, each once the server has answered the previous one. */
  typed?: string[];
  env?: Record<string, string>;
}

export interface Normalizer {
  /** Shown in the caption: "the Date header", "the time". */
  what: string;
  /** Must have the g flag. Runs on each whole message (text, or bytes as latin1). */
  pattern: RegExp;
  replacement: string;
}

/**
 * servers/transcript.ts's mask hook, with a name for the caption. `line` gets one line as the
 * site shows it (\r and \n made visible) and returns it with the secret replaced, e.g.
 * "PASS secret\\r\\n" → "PASS ******\\r\\n". The byte counts stay those of the real line.
 */
export interface Mask {
  /** Shown in the caption: "the password". */
  what: string;
  line(line: string, side: Side): string;
}

// ---- recording -------------------------------------------------------------------

const ROOT = fileURLToPath(new URL("../", import.meta.url));
// `node --import tsx file.ts` is `npx tsx file.ts` in one process. Clients run in a temporary
// folder (http-get-raw.ts saves files), so tsx is named by its full path, not found from the cwd.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const WAIT_MS = 15_000; // for a process to start, an answer to come, a connection to close

export async function recordAll(options: { only?: string[] } = {}): Promise<Map<string, Transcript>> {
  const only = options.only ?? [];
  for (const name of only) {
    if (!SCENARIOS.some((s) => s.name === name)) {
      throw new Error(`no scenario named "${name}" — the names are in site/transcripts/scenarios.ts: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    }
  }
  const chosen = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  // A few at a time: each scenario is two or three processes, and the machine may be small.
  const results = new Map<string, Transcript>();
  const queue = [...chosen];
  const worker = async () => {
    for (let scenario = queue.shift(); scenario; scenario = queue.shift()) {
      results.set(scenario.name, await record(scenario));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return new Map(chosen.map((s) => [s.name, results.get(s.name)!]));
}

/** Starts the servers and proxies, runs the client, stops everything, returns the normalized transcript. */
export async function record(scenario: Scenario): Promise<Transcript> {
  const recorder = new Recorder();
  const stops: (() => Promise<void>)[] = [];
  try {
    const env: Record<string, string> = {};
    const normalizers: Normalizer[] = [];
    for (const server of scenario.servers) {
      const label = serverLabel(server);
      const running = "example" in server ? await startExampleServer(server.example) : await server.start();
      stops.push(() => running.close());
      const proxyOptions = { targetPort: running.port, seed: 1, newTranscript: () => recorder.open(server.transport, label, scenario.mask) };
      const proxy = server.startTls
        ? await startStartTlsProxy({ ...proxyOptions, ...server.startTls })
        : server.transport === "tcp"
          ? await startTcpProxy({ ...proxyOptions, faults: PROFILES.friendly.tcp })
          : await startUdpProxy({ ...proxyOptions, faults: PROFILES.friendly.udp });
      stops.unshift(() => proxy.close()); // proxies stop first, servers last
      env[server.portEnv ?? "PORT"] = String(proxy.port);
      normalizers.push({
        what: "port numbers (the system picks new ones every run; shown as the lesson's port)",
        pattern: new RegExp(`(?<=:)(?:${running.port}|${proxy.port})\\b`, "g"),
        replacement: String(server.port),
      });
    }
    for (const client of [scenario.client].flat()) await runClient(scenario.name, client, env, recorder);
    await recorder.allClosed(scenario.name);
    return recorder.transcript(scenario, [...normalizers, ...(scenario.normalize ?? [])]);
  } finally {
    for (const stop of stops) await stop();
  }
}

function serverLabel(server: ServerToStart): string {
  return "example" in server ? `npx tsx ${server.example}` : server.label;
}

function clientCommand(client: ClientToRun): string {
  const input = client.stdin ?? (client.typed ? client.typed.map((line) => `${line}\n`).join("") : undefined);
  const printf = input === undefined ? "" : `printf '${input.replace(/\n/g, "\\n")}' | `;
  return `${printf}npx tsx ${[client.example, ...(client.args ?? [])].join(" ")}`;
}

// ---- the recorder: what the proxies saw ---------------------------------------------

type Recorded =
  | { kind: "data" | "datagram"; side: Side; bytes: Buffer }
  | { kind: "connect" | "fin"; side: Side }
  | { kind: "note"; side: Side; text: string };

/**
 * The proxies make a transcript object for every connection (TCP) or client address (UDP)
 * and report everything to it. servers/transcript.ts writes C:/S: lines; this subclass also
 * keeps the bytes and the events themselves, which the site needs to draw diagrams.
 */
class RecordingTranscript extends LineTranscript {
  readonly recorded: Recorded[] = [];

  constructor(
    readonly transport: "tcp" | "udp",
    readonly server: string,
    private readonly timeline: Recorded[],
    mask?: Mask,
  ) {
    // The mask also hides the secret in the C:/S: dump of an error message.
    super({ mask: mask?.line });
    // A TCP proxy asks for a transcript when it has accepted the client's connection.
    if (transport === "tcp") this.add({ kind: "connect", side: "C" });
  }

  override data(side: Side, chunk: Buffer): void {
    this.add({ kind: "data", side, bytes: Buffer.from(chunk) });
    super.data(side, chunk);
  }

  override datagram(side: Side, datagram: Buffer, fate = ""): void {
    this.add({ kind: "datagram", side, bytes: Buffer.from(datagram) });
    super.datagram(side, datagram, fate);
  }

  override note(side: Side, text: string): void {
    this.add(text.startsWith("FIN") ? { kind: "fin", side } : { kind: "note", side, text });
    super.note(side, text);
  }

  /** Both sides sent FIN, or something ended the connection the hard way. */
  closed(): boolean {
    const fins = this.recorded.filter((event) => event.kind === "fin").length;
    return this.transport === "udp" || fins === 2 || this.recorded.some((event) => event.kind === "note" && event.text !== TLS_NOTE);
  }

  private add(event: Recorded): void {
    this.recorded.push(event);
    this.timeline.push(event);
  }
}

class Recorder {
  readonly connections: RecordingTranscript[] = [];
  /** Every event of every connection, in the order the proxies saw them. */
  readonly timeline: Recorded[] = [];

  open(transport: "tcp" | "udp", server: string, mask?: Mask): RecordingTranscript {
    const connection = new RecordingTranscript(transport, server, this.timeline, mask);
    this.connections.push(connection);
    return connection;
  }

  /** True once the client has sent something after event number `since`, and the server has answered it. */
  answeredSince(since: number): boolean {
    const sent = this.timeline.findIndex((event, at) => at >= since && event.side === "C" && "bytes" in event);
    return sent !== -1 && this.timeline.some((event, at) => at > sent && event.side === "S" && "bytes" in event);
  }

  async allClosed(scenario: string): Promise<void> {
    await waitFor(() => this.connections.every((c) => c.closed()), `${scenario}: a connection did not close (both FINs) within ${WAIT_MS} ms:\n${this.dump()}`);
  }

  dump(): string {
    return this.connections.map((c, i) => `connection ${i + 1}:\n${c.toString()}`).join("\n");
  }

  transcript(scenario: Scenario, normalizers: Normalizer[]): Transcript {
    const used = new Set<string>();
    const connections: Connection[] = this.connections.map((c) => ({
      transport: c.transport,
      server: c.server,
      events: orderFins(toEvents(c.recorded, normalizers, used, scenario.mask), scenario.bothClose),
    }));
    const masked = scenario.mask && used.has(scenario.mask.what) ? { masked: [scenario.mask.what] } : {};
    return {
      name: scenario.name,
      lesson: scenario.lesson,
      title: scenario.title,
      client: [scenario.client].flat().map(clientCommand).join(" && "),
      servers: scenario.servers.map(serverLabel),
      normalized: normalizers.map((n) => n.what).filter((what) => used.has(what)),
      ...masked,
      connections,
    };
  }
}

// ---- from what the proxy saw to what the site shows ----------------------------------

const MAX_LINES = 40; // per message; the rest is only counted
const MAX_LINE_LENGTH = 200;

/**
 * TCP: consecutive data from one side becomes one message (how the bytes were cut into
 * chunks differs from run to run; what one side said before the other answered does not).
 * UDP: every datagram is already one message.
 */
function toEvents(recorded: Recorded[], normalizers: Normalizer[], used: Set<string>, mask?: Mask): TranscriptEvent[] {
  // Mask before cutting (as servers/transcript.ts does), so a cut never leaves half a password.
  const hide = (line: string, side: Side): string => {
    const masked = mask ? mask.line(line, side) : line;
    if (mask && masked !== line) used.add(mask.what);
    return masked;
  };
  const merged: Recorded[] = [];
  for (const event of recorded) {
    const last = merged.at(-1);
    if (event.kind === "data" && last?.kind === "data" && last.side === event.side) {
      merged[merged.length - 1] = { ...last, bytes: Buffer.concat([last.bytes, event.bytes]) };
    } else {
      merged.push(event);
    }
  }
  return merged.map((event): TranscriptEvent => {
    switch (event.kind) {
      case "connect":
      case "fin":
        return { type: event.kind, from: event.side };
      case "note":
        return { type: "note", from: event.side, text: event.text };
      case "datagram": {
        const bytes = normalize(event.bytes, normalizers, used);
        return { type: "datagram", from: event.side, bytes: bytes.length, text: cut(hide(escapeBytes(bytes), event.side)) };
      }
      case "data": {
        const bytes = normalize(event.bytes, normalizers, used);
        const lines = splitLines(bytes).map((line) => cut(hide(escapeBytes(line), event.side)));
        const message: TranscriptEvent = { type: "data", from: event.side, bytes: bytes.length, lines: lines.slice(0, MAX_LINES) };
        if (lines.length > MAX_LINES) message.omittedLines = lines.length - MAX_LINES;
        return message;
      }
    }
  });
}

/** Two FINs at the very end, sent independently: put them in the order the scenario asks for. */
function orderFins(events: TranscriptEvent[], bothClose: Scenario["bothClose"]): TranscriptEvent[] {
  const [last, secondLast] = [events.at(-1), events.at(-2)];
  if (!bothClose || last?.type !== "fin" || secondLast?.type !== "fin") return events;
  const first: Side = bothClose === "server first" ? "S" : "C";
  const fins: TranscriptEvent[] = [{ type: "fin", from: first }, { type: "fin", from: first === "S" ? "C" : "S" }];
  return [...events.slice(0, -2), ...fins];
}

/** Applies the normalizers to one message: as UTF-8 text when it is text, else byte for byte. */
function normalize(bytes: Buffer, normalizers: Normalizer[], used: Set<string>): Buffer {
  const encoding = isUtf8(bytes) ? "utf8" : "latin1";
  let text = bytes.toString(encoding);
  for (const { what, pattern, replacement } of normalizers) {
    const replaced = text.replace(pattern, replacement);
    if (replaced !== text) used.add(what);
    text = replaced;
  }
  return Buffer.from(text, encoding);
}

/** Cuts after every "\n", keeping it: "a\r\nb" → ["a\r\n", "b"]. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function cut(line: string): string {
  return line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}… (+${line.length - MAX_LINE_LENGTH} more characters)` : line;
}

// ---- processes ---------------------------------------------------------------------

function nodeWithTsx(file: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  // TZ=UTC: servers that print the time all print it the same way.
  return spawn(process.execPath, ["--import", TSX, join(ROOT, file), ...args], {
    cwd,
    env: { ...process.env, HOST: "127.0.0.1", TZ: "UTC", ...env },
  });
}

/** An example server with PORT=0; resolves once it printed "Listening on HOST:PORT". */
async function startExampleServer(file: string): Promise<RunningServer> {
  const child = nodeWithTsx(file, [], ROOT, { PORT: "0" });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const close = () => stopProcess(child);
  try {
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`${file} exited (code ${child.exitCode}) before listening:\n${output}`);
      return /Listening on \S+:\d+/.test(output);
    }, `${file} did not print "Listening on" within ${WAIT_MS} ms:\n${output}`);
  } catch (err) {
    await close();
    throw err;
  }
  return { port: Number(/Listening on \S+:(\d+)/.exec(output)![1]), close };
}

/** Ctrl-C, as a learner stops a server; SIGKILL if it has not ended after a few seconds. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** Runs the client to its end, feeding its input all at once or line by line. */
async function runClient(scenario: string, client: ClientToRun, env: Record<string, string>, recorder: Recorder): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), "socket-playground-transcript-"));
  const child = nodeWithTsx(client.example, client.args ?? [], cwd, { ...client.env, ...env });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = once(child, "exit");
  const killer = setTimeout(() => child.kill("SIGKILL"), 4 * WAIT_MS);
  try {
    for (const line of client.typed ?? []) {
      const since = recorder.timeline.length;
      child.stdin!.write(`${line}\n`);
      await waitFor(
        () => recorder.answeredSince(since) || child.exitCode !== null,
        `${scenario}: after typing ${JSON.stringify(line)}, no answer from the server within ${WAIT_MS} ms:\n${recorder.dump()}\nclient output:\n${output}`,
      );
    }
    child.stdin!.end(client.stdin ?? "");
    const [code] = await exited;
    if (code !== 0) throw new Error(`${scenario}: ${client.example} exited with code ${code}:\n${output}\n${recorder.dump()}`);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function waitFor(condition: () => boolean, failure: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(failure);
    await sleep(10);
  }
}

// ---- files -------------------------------------------------------------------------

/**
 * The committed form: JSON with one event per line, so that a drift shows up as one whole
 * message ("first differing line") and a git diff reads like the conversation.
 */
export function transcriptJson(t: Transcript): string {
  const connections = t.connections.map((c) =>
    [
      "    {",
      `      "transport": ${JSON.stringify(c.transport)},`,
      `      "server": ${JSON.stringify(c.server)},`,
      `      "events": [`,
      c.events.map((event) => `        ${JSON.stringify(event)}`).join(",\n"),
      "      ]",
      "    }",
    ].join("\n"),
  );
  const head = JSON.stringify({ ...t, connections: "CONNECTIONS" }, null, 2);
  return `${head.replace('"connections": "CONNECTIONS"', `"connections": [\n${connections.join(",\n")}\n  ]`)}\n`;
}

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

/** JSON files in site/transcripts/ that no scenario makes any more. */
export function staleFiles(): string[] {
  const names = new Set(scenarioNames());
  return readdirSync(TRANSCRIPTS_DIR).filter((file) => file.endsWith(".json") && !names.has(file.slice(0, -".json".length)));
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
  const transcripts = await recordAll({ only });
  for (const [name, transcript] of transcripts) {
    const file = join(TRANSCRIPTS_DIR, `${name}.json`);
    const json = transcriptJson(transcript);
    let before = "";
    try {
      before = readFileSync(file, "utf8");
    } catch {
      // a new scenario
    }
    if (before !== json) writeFileSync(file, json);
    console.log(`${before === json ? "unchanged" : before === "" ? "new      " : "updated  "} site/transcripts/${name}.json`);
  }
  if (only.length === 0) {
    for (const file of staleFiles()) {
      rmSync(join(TRANSCRIPTS_DIR, file));
      console.log(`removed   site/transcripts/${file} (no scenario makes it any more)`);
    }
  }
  // The lesson READMEs carry a text copy of each recording: bring them up to date too.
  for (const readme of syncAllReadmes()) console.log(`updated   ${readme} (its transcript text)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    // Every server and proxy is closed, but ftp-srv leaves a timer behind after a client's QUIT
    // (its idle timeout, 10 minutes): do not wait for it.
    () => process.exit(0),
    (err: Error) => {
      console.error(`record-transcripts: ${err.message}`);
      process.exit(1);
    },
  );
}
