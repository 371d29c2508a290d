// `npm start`: the playground — every local server the lessons talk to, in one process.
//
//   npm start                          all servers on 127.0.0.1, default ports
//   npm start -- --http-port 8081      another port for one server (0: any free port)
//   npm start -- --data-dir /tmp/pg    where the playground keeps its state
//   npm start -- --host 0.0.0.0        let other machines in (a classroom); prints a warning
//
// Ctrl-C stops every server cleanly.

import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Server } from "node:net";
import { startHttpDemo } from "./http-demo.ts";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: ".playground" },
    host: { type: "string", default: "127.0.0.1" },
    "http-port": { type: "string", default: "8080" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("Usage: npm start -- [--host 127.0.0.1] [--data-dir .playground] [--http-port 8080]");
  process.exit(0);
}

const host = values.host;
const dataDir = resolve(values["data-dir"]);
mkdirSync(dataDir, { recursive: true });

// Loopback (127.0.0.0/8, ::1) never leaves this machine; any other address lets others in.
const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
if (!loopback) {
  console.warn(
    `WARNING: listening on ${host}, not loopback — other machines on your network can reach the playground.\n` +
      "The playground has no protection (its demo accounts, where it has any, are public). Do this only on a\n" +
      "classroom network you trust.\n",
  );
}

/** Starts one server, turning "port in use" into advice instead of a stack trace. */
async function start<T extends { server: Server; port: number }>(
  name: string,
  flag: string,
  port: string,
  starter: (port: number, host: string) => Promise<T>,
): Promise<T> {
  const number = Number(port);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    throw new Error(`--${flag} ${port} is not a port number (0-65535)`);
  }
  try {
    return await starter(number, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new Error(`${name}: port ${port} is in use — is another playground running? Stop it, or use --${flag} <other port>`);
    }
    if (code === "EACCES") throw new Error(`${name}: no permission to use port ${port} — ports below 1024 need root; pick a higher one`);
    throw err;
  }
}

const servers: { name: string; url: string; server: Server }[] = [];
try {
  const http = await start("HTTP demo", "http-port", values["http-port"], startHttpDemo);
  servers.push({ name: "HTTP demo server (lesson 02)", url: `http://${host}:${http.port}/`, server: http.server });
} catch (err) {
  for (const { server } of servers) server.close();
  console.error(`playground: ${(err as Error).message}`);
  process.exit(1);
}

console.log("Socket Playground is running. Ctrl-C stops it.\n");
const width = Math.max(...servers.map((s) => s.name.length));
for (const { name, url } of servers) console.log(`  ${name.padEnd(width)}  ${url}`);
console.log(`\n  data dir: ${dataDir}\n`);

function stop(): void {
  console.log("\nStopping the playground…");
  for (const { server } of servers) {
    server.close();
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  }
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
