// A small FTP command-line tool: Core Python Programming's FTP exercises (17-1 …
// 17-10) in one program. Its parts are lesson 12's exercise; this file only reads the
// command line and puts them together. It imports the reference solution: once your
// exercise passes, change the import below to "../lessons/12-ftp-tools/exercise.ts" and
// it is your tool.
//
//   npm start                                           (first, in another terminal: FTP on 127.0.0.1:2121)
//   npx tsx examples/ftp-tool.ts newest /releases                 the newest release       (17-1)
//   npx tsx examples/ftp-tool.ts get /docs 'doc*.pdf'              files matching a pattern (17-2), with progress (17-3)
//   npx tsx examples/ftp-tool.ts parallel -j 3 /docs '*'           several at a time        (17-4)
//   npx tsx examples/ftp-tool.ts mirror /projects                  one folder's files       (17-7)
//   npx tsx examples/ftp-tool.ts mirror -r -s '*.exe' /projects    -r: sub-folders too, -s: skip a pattern
//   npx tsx examples/ftp-tool.ts mirror -r -z projects.zip /projects   into a zip file     (17-10)
//   FTP_USER=me FTP_PASSWORD=secret npx tsx examples/ftp-tool.ts put '*.py' /    upload     (17-8)
// The last argument may name a local folder: downloads go to downloads/ by default, uploads
// come from the current folder. HOST and FTP_PORT say
// where the server is (127.0.0.1 and 2121 by default); without FTP_USER you are anonymous.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Client } from "basic-ftp";
import {
  downloadAll,
  downloadMatching,
  downloadNewest,
  matches,
  mirror,
  openClient,
  progressLine,
  uploadMatching,
  zipStore,
} from "../lessons/12-ftp-tools/solution.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.FTP_PORT ?? 2121);
const USER = process.env.FTP_USER;
const login = USER ? `${encodeURIComponent(USER)}:${encodeURIComponent(process.env.FTP_PASSWORD ?? "")}@` : "";
const URL_OF_SERVER = `ftp://${login}${HOST}:${PORT}`;
const DOWNLOADS = "downloads"; // where downloads go unless the last argument names a folder

const USAGE = `usage: ftp-tool.ts newest <remote-dir> [local-dir]
       ftp-tool.ts get <remote-dir> <pattern> [local-dir]
       ftp-tool.ts parallel [-j N] <remote-dir> <pattern> [local-dir]
       ftp-tool.ts mirror [-r] [-s pattern]... [-z file.zip] <remote-dir> [local-dir]
       ftp-tool.ts put <pattern> <remote-dir> [local-dir]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    r: { type: "boolean", short: "r", default: false }, // recursive
    s: { type: "string", short: "s", multiple: true, default: [] }, // skip
    z: { type: "string", short: "z" }, // zip file
    j: { type: "string", short: "j", default: "3" }, // parallel jobs
  },
});
const [command, ...args] = positionals;

/**
 * 17-3: a progress bar for the long downloads (1 MB and more) of this client, on stderr.
 * basic-ftp calls the handler when a transfer starts, every 500 ms, and once at its end.
 */
function showProgress(client: Client): void {
  let current = "";
  let started = 0;
  client.trackProgress((info) => {
    const total = sizes.get(info.name) ?? 0;
    if (info.type !== "download" || total < 1024 * 1024) return;
    if (info.name !== current) [current, started] = [info.name, Date.now()]; // a new transfer
    const finished = info.bytes >= total;
    const line = `${progressLine(info.bytes, total, Date.now() - started)}  ${info.name}`;
    // On a terminal, "\r" redraws the same line; into a file or a pipe, only the final line.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${finished ? "\n" : ""}`);
    else if (finished) process.stderr.write(`${line}\n`);
  });
}
const sizes = new Map<string, number>(); // remote path → size, for the progress bar's 100%

async function rememberSizes(client: Client, remoteDir: string): Promise<void> {
  for (const entry of await client.list(remoteDir)) sizes.set(`${remoteDir}/${entry.name}`, entry.size);
}

let client: Client | undefined;
try {
  if (command === "newest" && args.length >= 1) {
    const [remoteDir, localDir = DOWNLOADS] = args as [string, string?];
    client = await openClient(URL_OF_SERVER);
    await rememberSizes(client, remoteDir);
    showProgress(client);
    const name = await downloadNewest(client, remoteDir, localDir);
    console.log(`The newest release in ${remoteDir} is ${name}: saved to ${join(localDir, name)}`);
  } else if (command === "get" && args.length >= 2) {
    const [remoteDir, pattern, localDir = DOWNLOADS] = args as [string, string, string?];
    client = await openClient(URL_OF_SERVER);
    await rememberSizes(client, remoteDir);
    showProgress(client);
    const names = await downloadMatching(client, remoteDir, pattern, localDir);
    console.log(`${names.length} file(s) matching ${pattern} in ${remoteDir}: ${names.join(", ") || "none"}`);
  } else if (command === "parallel" && args.length >= 2) {
    const [remoteDir, pattern, localDir = DOWNLOADS] = args as [string, string, string?];
    const limit = Number(values.j);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`-j wants a whole number of downloads at a time, not "${values.j}"`);
    client = await openClient(URL_OF_SERVER);
    const names = (await client.list(remoteDir)).filter((e) => e.isFile && matches(pattern, e.name)).map((e) => e.name);
    let connections = 0;
    const started = Date.now();
    await downloadAll(
      async () => {
        connections++;
        return openClient(URL_OF_SERVER);
      },
      remoteDir,
      names,
      localDir,
      limit,
    );
    console.log(`Downloaded ${names.length} file(s) over ${connections} connection(s), at most ${limit} at a time, in ${Date.now() - started} ms`);
  } else if (command === "mirror" && args.length >= 1) {
    const [remoteDir, localDir = DOWNLOADS] = args as [string, string?];
    client = await openClient(URL_OF_SERVER);
    const options = { recursive: values.r, skip: values.s };
    if (values.z) {
      // 17-10: mirror into a temporary folder, then put its files into one zip file.
      const temporary = mkdtempSync(join(tmpdir(), "ftp-tool-"));
      try {
        const paths = await mirror(client, remoteDir, temporary, options);
        const zip = zipStore(paths.map((path) => ({ name: path, data: readFileSync(join(temporary, path)) })));
        writeFileSync(values.z, zip);
        console.log(`Zipped ${paths.length} file(s) from ${remoteDir} into ${values.z} (${zip.length} bytes):`);
        for (const path of paths) console.log(`  ${path}`);
      } finally {
        rmSync(temporary, { recursive: true, force: true });
      }
    } else {
      const paths = await mirror(client, remoteDir, localDir, options);
      console.log(`Mirrored ${paths.length} file(s) from ${remoteDir} into ${localDir}${values.r ? "" : " (add -r for sub-folders)"}:`);
      for (const path of paths) console.log(`  ${path}`);
    }
  } else if (command === "put" && args.length >= 2) {
    const [pattern, remoteDir, localDir = "."] = args as [string, string, string?]; // upload from here
    client = await openClient(URL_OF_SERVER);
    const names = await uploadMatching(client, localDir, pattern, remoteDir);
    console.log(`Uploaded ${names.length} file(s) matching ${pattern} to ${remoteDir}: ${names.join(", ") || "none"}`);
  } else {
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (err) {
  const message = (err as Error).message;
  if (/ECONNREFUSED/.test(message)) {
    console.error(`Could not connect to ${HOST}:${PORT} (${message}) — is the playground running? Start it with: npm start`);
  } else {
    console.error(`ftp-tool: ${message}`);
  }
  process.exitCode = 1;
} finally {
  client?.close();
}
