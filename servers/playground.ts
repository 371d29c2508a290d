// `npm start`: the playground — every local server the lessons talk to, in one process
// (mail, FTP and news each on their own thread, watched by supervisor.ts; this file is the CLI).
//
//   npm start                          all servers on 127.0.0.1, default ports
//   npm start -- --smtp-port 2626      another port for one server (0: any free port)
//   npm start -- --trace               print every conversation live, as C:/S: lines
//   npm start -- --data-dir /tmp/pg    where the playground keeps its state (mail, FTP files, news, certificate)
//   npm start -- --host 0.0.0.0        let other machines in (a classroom); prints a warning
//
// Ports and accounts can also be set in <data-dir>/config.json (see README.md); flags win.
// Ctrl-C stops every server cleanly.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
// The one import from site/ in servers/: whoever starts both passes the site's handler to the
// HTTP server (http-demo.ts), which knows nothing of the site.
import { siteHandler } from "../site/serve.ts";
import { isLoopback } from "./loopback.ts";
import { createConsole } from "./console/index.ts";
// Only light modules here: each server's code loads on its own thread (see defaults.ts).
import { DEFAULT_FTP_ACCOUNTS, DEFAULT_FTP_PORT, DEFAULT_MAIL_PORTS, DEFAULT_NEWS_ACCOUNTS, DEFAULT_NNTP_PORT } from "./defaults.ts";
import { DEFAULT_MAIL_ACCOUNTS, type MailAccount } from "./mail/accounts.ts";
import type { FtpAccount } from "./ftp/server.ts";
import type { NewsAccount } from "./news/index.ts";
import { startPlayground, type Playground, type PlaygroundPorts } from "./supervisor.ts";

/** Where `npm run site` writes the lesson site; `npm start` serves it from here. */
const SITE_DIR = fileURLToPath(new URL("../site/dist/", import.meta.url));

// Every port the playground opens: its flag, its default, and who uses it.
const PORTS: Record<keyof PlaygroundPorts, { flag: string; default: number }> = {
  http: { flag: "http-port", default: 8080 },
  smtp: { flag: "smtp-port", default: DEFAULT_MAIL_PORTS.submission },
  mx: { flag: "mx-port", default: DEFAULT_MAIL_PORTS.mx },
  smtps: { flag: "smtps-port", default: DEFAULT_MAIL_PORTS.smtps },
  pop3: { flag: "pop3-port", default: DEFAULT_MAIL_PORTS.pop3 },
  pop3s: { flag: "pop3s-port", default: DEFAULT_MAIL_PORTS.pop3s },
  imap: { flag: "imap-port", default: DEFAULT_MAIL_PORTS.imap },
  imaps: { flag: "imaps-port", default: DEFAULT_MAIL_PORTS.imaps },
  ftp: { flag: "ftp-port", default: DEFAULT_FTP_PORT },
  nntp: { flag: "nntp-port", default: DEFAULT_NNTP_PORT },
};
type PortName = keyof typeof PORTS;

const USAGE = `Usage: npm start -- [options]
  --host 127.0.0.1          address to listen on (anything but loopback prints a warning)
  --data-dir .playground    where mail, FTP files, news, the certificate and config.json live
  --trace                   print every conversation live as C:/S: lines
${Object.values(PORTS)
  .map((port) => `  --${port.flag} ${port.default}`.padEnd(28) + "0 = any free port")
  .join("\n")}
  --ftp-passive-ports 30000-30100   ports for FTP's passive data connections`;

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: ".playground" },
    host: { type: "string", default: "127.0.0.1" },
    trace: { type: "boolean", default: false },
    "ftp-passive-ports": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
    ...Object.fromEntries(Object.values(PORTS).map((port) => [port.flag, { type: "string" as const }])),
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

/** What a data dir's config.json may set; everything is optional. */
interface Config {
  ports?: Partial<Record<PortName, number>>;
  ftpPassivePorts?: string;
  mailAccounts?: MailAccount[];
  ftpAccounts?: FtpAccount[];
  newsAccounts?: NewsAccount[];
  /** The console's teacher login beyond loopback; made up at each start when absent. */
  consolePassword?: string;
  /** How much the console keeps: sessions, and bytes of their lines. */
  console?: { maxSessions?: number; maxLineBytes?: number };
}

function fail(message: string): never {
  console.error(`playground: ${message}`);
  process.exit(1);
}

function readConfig(file: string): Config {
  if (!existsSync(file)) return {};
  let config: Config;
  try {
    config = JSON.parse(readFileSync(file, "utf8")) as Config;
  } catch (err) {
    fail(`${file} is not valid JSON (${(err as Error).message}) — fix it or delete it to use the defaults`);
  }
  const isList = (value: unknown, keys: string[]) =>
    value === undefined ||
    (Array.isArray(value) && value.every((item) => keys.every((key) => typeof item?.[key] === "string" && item[key] !== "")));
  if (!isList(config.mailAccounts, ["address", "password"])) {
    fail(`${file}: "mailAccounts" must be a list like [{ "address": "me@example.com", "password": "secret" }]`);
  }
  if (!isList(config.ftpAccounts, ["user", "password"])) {
    fail(`${file}: "ftpAccounts" must be a list like [{ "user": "me", "password": "secret" }]`);
  }
  if (!isList(config.newsAccounts, ["user", "password"])) {
    fail(`${file}: "newsAccounts" must be a list like [{ "user": "me", "password": "secret" }]`);
  }
  if (config.consolePassword !== undefined && (typeof config.consolePassword !== "string" || config.consolePassword.length < 8)) {
    fail(`${file}: "consolePassword" must be a string of at least 8 characters`);
  }
  const positive = (value: unknown) => value === undefined || (Number.isInteger(value) && (value as number) > 0);
  if (config.console !== undefined && !(positive(config.console.maxSessions) && positive(config.console.maxLineBytes))) {
    fail(`${file}: "console" must look like { "maxSessions": 2000, "maxLineBytes": 4000000 } (whole numbers above 0)`);
  }
  return config;
}

function portNumber(name: PortName, text: string | number): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    fail(`--${PORTS[name].flag} ${text} is not a port number (0-65535)`);
  }
  return number;
}

function passiveRange(text: string): { min: number; max: number } {
  const match = /^(\d+)-(\d+)$/.exec(text);
  const [min, max] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(min >= 1024 && max <= 65535 && min <= max)) {
    fail(`--ftp-passive-ports ${text} is not a range like 30000-30100 (ports 1024-65535)`);
  }
  return { min, max };
}

const host = values.host;
const dataDir = resolve(values["data-dir"]);
mkdirSync(dataDir, { recursive: true });
const configFile = resolve(dataDir, "config.json");
const config = readConfig(configFile);
const values_ = values as unknown as Record<string, string | undefined>;
const port = (name: PortName) => portNumber(name, values_[PORTS[name].flag] ?? config.ports?.[name] ?? PORTS[name].default);
const ports = Object.fromEntries(Object.keys(PORTS).map((name) => [name, port(name as PortName)])) as Record<PortName, number>;
// FTP's passive data ports: a fixed range by default (so a firewall can let them through);
// with --ftp-port 0 (tests), any free port, like every other port then.
const passiveText = values["ftp-passive-ports"] ?? config.ftpPassivePorts;
const passivePorts = passiveText ? passiveRange(passiveText) : ports.ftp === 0 ? undefined : { min: 30000, max: 30100 };
const mailAccounts = config.mailAccounts ?? DEFAULT_MAIL_ACCOUNTS;
const ftpAccounts = config.ftpAccounts ?? DEFAULT_FTP_ACCOUNTS;
const newsAccounts = config.newsAccounts ?? DEFAULT_NEWS_ACCOUNTS;
const trace = values.trace ? (line: string) => console.log(line) : undefined;
const urlHost = host.includes(":") ? `[${host}]` : host;

// Loopback never leaves this machine; any other address lets others in.
if (!isLoopback(host)) {
  console.warn(
    `WARNING: listening on ${host}, not loopback — other machines on your network can reach the playground.\n` +
      "The playground has no protection: its demo accounts are public, and mail and news logins then need STARTTLS first.\n" +
      "Do this only on a classroom network you trust.\n",
  );
}

/** Turns a failed listen into advice instead of a stack trace. */
function explain(err: unknown): string {
  const { code, port: busy } = err as NodeJS.ErrnoException & { port?: number };
  const name = (Object.keys(PORTS) as PortName[]).find((name) => ports[name] === busy);
  const flag = name ? `--${PORTS[name].flag}` : "the port flags (see npm start -- --help)";
  if (code === "EADDRINUSE") return `port ${busy} is in use — is another playground running? Stop it, or use ${flag} <other port>`;
  if (code === "EACCES") return `no permission to use port ${busy} — ports below 1024 need root; pick a higher one with ${flag}`;
  return (err as Error).message;
}

// The console is open on loopback; beyond it, a login: the teacher password, or any account's own.
const consoleOpen = isLoopback(host);
const consolePassword = config.consolePassword ?? randomBytes(9).toString("base64url");
/** A playground account's name if `password` is its password (mail address, FTP or news user). */
function verifyAccount(user: string, password: string): string | null {
  const mail = mailAccounts.find((account) => account.address.toLowerCase() === user.toLowerCase() && account.password === password);
  if (mail) return mail.address;
  const other = [...ftpAccounts, ...newsAccounts].find((account) => account.user === user && account.password === password);
  return other ? other.user : null;
}

// The supervisor (supervisor.ts) runs HTTP here and mail, FTP and news on their own threads.
let playground: Playground;
try {
  const console_ = createConsole(
    { dataDir },
    { open: consoleOpen, teacherPassword: consolePassword, verify: verifyAccount, maxSessions: config.console?.maxSessions, maxLineBytes: config.console?.maxLineBytes },
  );
  playground = await startPlayground({
    host,
    dataDir,
    ports,
    passivePorts,
    mailAccounts,
    ftpAccounts,
    newsAccounts,
    site: siteHandler(SITE_DIR),
    console: console_.handle,
    trace,
    activity: console_.activity,
  });
} catch (err) {
  fail(explain(err));
}

const bound = playground.ports;
const passive = passivePorts ? `${passivePorts.min}-${passivePorts.max}` : "any free port";
const rows: [string, string][] = [
  ["HTTP demo server (lesson 02) + lesson site", `http://${host}:${bound.http}/`],
  ["Console: every conversation live", `http://${host}:${bound.http}/console/`],
  ["SMTP submission, example.com (lessons 07-10)", `smtp://${host}:${bound.smtp}  (STARTTLS offered)`],
  ["SMTP MX, example.org (lesson 06)", `smtp://${host}:${bound.mx}`],
  ["SMTPS, example.com, implicit TLS (lesson 08)", `smtps://${host}:${bound.smtps}`],
  ["POP3 (lessons 09-10)", `pop3://${host}:${bound.pop3}  (STLS offered)`],
  ["POP3S, implicit TLS", `pop3s://${host}:${bound.pop3s}`],
  ["IMAP (lessons 06, 15-16)", `imap://${host}:${bound.imap}  (STARTTLS offered)`],
  ["IMAPS, implicit TLS", `imaps://${host}:${bound.imaps}`],
  ["FTP (lessons 11-12)", `ftp://${urlHost}:${bound.ftp}  (AUTH TLS offered; passive data ports ${passive})`],
  ["NNTP news server (lesson 13)", `nntp://${urlHost}:${bound.nntp}  (STARTTLS offered; posting ok${isLoopback(host) ? "" : " after AUTHINFO"})`],
];

console.log("Socket Playground is running. Ctrl-C stops it.\n");
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, url] of rows) console.log(`  ${name.padEnd(width)}  ${url}`);
console.log("\n  accounts (demo only — everyone knows these passwords):");
for (const { address, password } of mailAccounts) console.log(`    mail  ${address} / ${password}`);
console.log(`    ftp   anonymous / any e-mail address (read-only)`);
for (const { user, password } of ftpAccounts) console.log(`    ftp   ${user} / ${password}`);
for (const { user, password } of newsAccounts) console.log(`    news  ${user} / ${password}  (AUTHINFO, optional on loopback)`);
if (!consoleOpen) {
  console.log(`\n  console login: teacher / ${config.consolePassword ? "(consolePassword from config.json)" : consolePassword}`);
  console.log("    (or any account above with its password: it sees only its own sessions)");
}
console.log(`\n  data dir: ${dataDir}`);
if (!existsSync(join(SITE_DIR, "index.html"))) console.log("  lesson site: not built yet — run `npm run site`, then open the HTTP address above");
console.log(`  TLS certificate to trust (CA file): ${playground.caFile}`);
if (!trace) console.log("  (npm start -- --trace prints every conversation live)");
console.log();

// A classroom playground must not go down for everyone because one client ran into a bug in
// one server (say, a socket error nobody listened for). Each server keeps its state on disk
// (mail in Maildirs, written atomically; FTP files), so logging the error and serving on is
// safe; the message asks for a report so the bug gets fixed. (This covers HTTP and the
// supervisor; each worker thread has the same handler, see server-worker.ts.)
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    console.error(`playground: internal error, still running (please report it): ${error instanceof Error ? error.stack : error}`);
  });
}

// Test hooks for the class simulation (test/soak/class.ts), which starts this process with an IPC
// channel (Node's child_process "ipc"): only the process that started it can ask, nothing a
// network client says reaches them. Without that channel (npm start) there is no process.send.
if (process.send) {
  process.on("message", (message: { type?: string; id?: number }) => {
    if (message.type === "memory") void playground.testHooks.memory().then((threads) => process.send?.({ type: "memory", id: message.id, threads }));
    if (message.type === "leak") playground.testHooks.leak();
  });
  process.channel?.unref(); // the servers keep the playground running, not the channel
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the playground…");
  await playground.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
