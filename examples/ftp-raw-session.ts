// An FTP session by hand: the control connection on a plain TCP socket, and one data
// connection per LIST and RETR that we open ourselves. Prints the whole conversation.
//   npm start                                            (first, in another terminal: FTP on 127.0.0.1:2121)
//   npx tsx examples/ftp-raw-session.ts                  anonymous: lists /releases, saves downloads/tool-1.10.0.tar.gz
//   npx tsx examples/ftp-raw-session.ts /docs doc-faq.pdf   another folder and file
// HOST and FTP_PORT say where the server is (127.0.0.1 and 2121 by default); FTP_USER and
// FTP_PASSWORD log in as someone else (default: anonymous, with an e-mail address as password).

import net from "node:net";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.FTP_PORT ?? 2121);
const USER = process.env.FTP_USER ?? "anonymous";
const PASSWORD = process.env.FTP_PASSWORD ?? "learner@example.com";
const directory = process.argv[2] ?? "/releases";
const file = process.argv[3] ?? "tool-1.10.0.tar.gz";

// #region control
// The control connection: we send one line, the server answers with one reply. A reply is
// "NNN text"; a long one is "NNN-first line" … "NNN last line" (RFC 959 §4.2).
const control = net.connect(PORT, HOST);
control.setEncoding("utf8");
try {
  await once(control, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}
control.on("error", (err) => {
  console.error(`The control connection broke: ${err.message}`);
  process.exit(1);
});

let received = ""; // what the server sent that we have not read yet
let closed = false;
let wake: (() => void) | undefined; // set while readLine() waits for more bytes
control.on("data", (chunk: string) => {
  received += chunk;
  wake?.();
});
control.on("end", () => {
  closed = true;
  wake?.();
});

async function readLine(): Promise<string> {
  while (!received.includes("\n")) {
    if (closed) {
      console.error("The server closed the control connection.");
      process.exit(1);
    }
    await new Promise<void>((resolve) => (wake = resolve)); // until the next piece (or the FIN)
  }
  const end = received.indexOf("\n");
  const line = received.slice(0, end).replace(/\r$/, "");
  received = received.slice(end + 1);
  console.log(`S: ${line}`);
  return line;
}

async function readReply(): Promise<{ code: number; text: string }> {
  const lines = [await readLine()];
  const code = lines[0]!.slice(0, 3);
  if (lines[0]![3] === "-") {
    while (!lines.at(-1)!.startsWith(`${code} `)) lines.push(await readLine()); // a multi-line reply
  }
  return { code: Number(code), text: lines.join("\n") };
}

async function command(line: string, ...expected: number[]): Promise<{ code: number; text: string }> {
  console.log(`C: ${line.startsWith("PASS ") && USER !== "anonymous" ? "PASS ********" : line}`);
  control.write(`${line}\r\n`);
  const reply = await readReply();
  if (expected.length > 0 && !expected.includes(reply.code)) {
    console.error(`Expected ${expected.join(" or ")}, the server said: ${reply.text}`);
    control.end("QUIT\r\n");
    process.exit(1);
  }
  return reply;
}
// #endregion control

// #region passive
// A transfer in passive mode: the server opens a port, tells us which, and we connect.
// Then two things happen on two connections, in either order: the data arrives (ending
// with the data connection's FIN), and the 226 reply arrives on the control connection.
// Only when we have both is the transfer done.
async function transfer(how: "PASV" | "EPSV", line: string): Promise<Buffer> {
  const reply = await command(how, how === "PASV" ? 227 : 229);
  const port =
    how === "PASV"
      ? portFromPasv(reply.text) // "227 Entering Passive Mode (127,0,0,1,117,48)" → 117 × 256 + 48
      : Number(/\(\|\|\|(\d+)\|\)/.exec(reply.text)![1]); // "229 Entering Extended Passive Mode (|||30000|)"
  // Connect to the host we already talk to: the address inside a 227 reply can be one that
  // only makes sense inside the server's own network (NAT). EPSV does not even send one.
  const dataConnection = net.connect(port, HOST);
  await once(dataConnection, "connect");
  console.log(`   (data connection open: ${dataConnection.localAddress}:${dataConnection.localPort} → ${HOST}:${port})`);
  const chunks: Buffer[] = [];
  const allData = (async () => {
    for await (const chunk of dataConnection) chunks.push(chunk as Buffer);
  })();
  await command(line, 150, 125); // 150: "here it comes" — a preliminary reply, another one follows
  await Promise.all([allData, readReply()]); // the data's FIN and the 226 reply, in any order
  const data = Buffer.concat(chunks);
  console.log(`   (data connection closed by the server after ${data.length} bytes in ${chunks.length} ${chunks.length === 1 ? "chunk" : "chunks"})`);
  return data;
}

function portFromPasv(text: string): number {
  const numbers = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(text)!.slice(1).map(Number);
  return numbers[4]! * 256 + numbers[5]!; // the port's high byte, then its low byte
}
// #endregion passive

// #region session
const greeting = await readReply(); // the server speaks first
if (greeting.code !== 220) {
  // e.g. "421 Too many users": the server is there but will not serve us now
  console.error(`Expected a 220 greeting, the server said: ${greeting.text}`);
  process.exit(1);
}
await command(`USER ${USER}`, 331, 230);
await command(`PASS ${PASSWORD}`, 230);
await command("PWD", 257);
await command(`CWD ${directory}`, 250);
await command("TYPE I", 200); // binary: the bytes as they are, no line-end conversion

const listing = await transfer("PASV", "LIST");
for (const line of listing.toString("utf8").split("\r\n")) if (line !== "") console.log(`   | ${line}`); // LIST lines end in \r\n
const data = await transfer("EPSV", `RETR ${file}`);
await command("QUIT", 221);
control.end();
mkdirSync("downloads", { recursive: true });
writeFileSync(join("downloads", file), data);
console.log(`Saved ${join("downloads", file)} (${data.length} bytes)`);
// #endregion session
