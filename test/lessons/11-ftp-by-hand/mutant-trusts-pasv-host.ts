// Wrong answer: connects to the address in the PASV reply (a private one behind NAT)
// Connects the data socket to the address inside the PASV reply. A server
// behind NAT announces its private address (10.x, 192.168.x), which the client cannot
// reach; the host the control connection already reached is the one to use.

import net from "node:net";
import { once } from "node:events";

export interface FtpJob {
  host: string;
  port: number; // the control connection's port: 21 on the internet, 2121 in the playground
  user: string; // "anonymous" for a public server
  password: string; // for anonymous: your e-mail address, by tradition
  directory: string; // CWD here first
  file: string; // then RETR this file (a name inside `directory`)
}

export interface FtpResult {
  listing: string; // what LIST sent over its data connection, as text
  file: Buffer; // the exact bytes of the file
}

/**
 * "227 Entering Passive Mode (127,0,0,1,117,48)." → { host: "127.0.0.1", port: 30000 }.
 * RFC 959 §4.1.2: the six numbers are the four bytes of the address and the two bytes of
 * the port, high byte first (117 × 256 + 48). RFC 1123 §4.1.2.6: the text around them
 * varies between servers, so look for six numbers anywhere in the reply.
 */
export function parsePasvReply(reply: string): { host: string; port: number } {
  const match = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(reply);
  if (!match) throw new Error(`not a PASV reply (no h1,h2,h3,h4,p1,p2 in it): ${JSON.stringify(reply)}`);
  const [h1, h2, h3, h4, p1, p2] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return { host: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2 };
}

export async function listAndDownload(job: FtpJob): Promise<FtpResult> {
  const control = new ControlConnection(net.connect(job.port, job.host));
  try {
    await control.connected();
    expectReply(await control.readReply(), 220); // the greeting: "220 …" (maybe several lines)

    // RFC 959 §5.4: USER answers 331 "need password", or 230 at once if none is needed.
    const user = await control.command(`USER ${job.user}`);
    if (user.code === 331) expectReply(await control.command(`PASS ${job.password}`), 230);
    else expectReply(user, 230);

    expectReply(await control.command(`CWD ${job.directory}`), 250);
    // TYPE I: send the bytes as they are. The default, TYPE A (ASCII), lets the server
    // rewrite line ends to \r\n — which corrupts any file that is not plain text.
    expectReply(await control.command("TYPE I"), 200);

    const listing = await transfer(control, job.host, "LIST");
    const file = await transfer(control, job.host, `RETR ${job.file}`);
    await control.command("QUIT"); // 221: the server closes the control connection
    return { listing: listing.toString("utf8"), file };
  } finally {
    control.close();
  }
}

/**
 * One transfer in passive mode: ask where to connect (PASV), connect, send the command,
 * then wait for BOTH ends of the transfer — the data connection's FIN (all bytes are
 * here) and the 226 reply on the control connection (the server says it went well).
 * They travel on two different connections, so either one can arrive first.
 */
async function transfer(control: ControlConnection, _host: string, command: string): Promise<Buffer> {
  const pasv = expectReply(await control.command("PASV"), 227);
  // Connect where the server says (but is that address reachable from here?).
  const announced = parsePasvReply(pasv.text);
  const dataConnection = net.connect(announced.port, announced.host);
  const data = readToEnd(dataConnection);
  data.catch(() => {}); // a failure is reported where we await it below
  try {
    await once(dataConnection, "connect");
    // 150 (or 125): "opening the data connection" — a preliminary reply, another follows.
    expectReply(await control.command(command), 150, 125);
    const [bytes, done] = await Promise.all([data, control.readReply()]);
    expectReply(done, 226, 250); // 226 "transfer complete, closing the data connection"
    return bytes;
  } finally {
    dataConnection.destroy();
  }
}

/** All the bytes a socket receives until the other side's FIN. */
async function readToEnd(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface FtpReply {
  code: number; // 220, 331, 550…
  text: string; // every line of the reply, joined with "\n"
}

/** Throws unless the reply's code is one of `expected`; the error shows the server's words. */
function expectReply(reply: FtpReply, ...expected: number[]): FtpReply {
  if (!expected.includes(reply.code)) {
    throw new Error(`the FTP server answered ${JSON.stringify(reply.text)} (expected ${expected.join(" or ")})`);
  }
  return reply;
}

/**
 * The control connection: we send one command line, the server answers with one reply.
 * Bytes arrive in any pieces, so we cut them into lines ourselves.
 */
class ControlConnection {
  private received = ""; // text not yet cut into lines
  private lines: string[] = []; // whole lines, not yet read
  private ended: Error | null = null; // why no more lines will come
  private wakeUp: () => void = () => {};

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8"); // decodes characters cut between two chunks correctly
    socket.on("data", (text: string) => {
      this.received += text;
      let end: number;
      while ((end = this.received.indexOf("\n")) !== -1) {
        this.lines.push(this.received.slice(0, end).replace(/\r$/, "")); // lines end in \r\n
        this.received = this.received.slice(end + 1);
      }
      this.wakeUp();
    });
    socket.on("error", (err) => this.stop(err));
    socket.on("close", () => this.stop(new Error("the FTP server closed the control connection")));
  }

  async connected(): Promise<void> {
    if (this.socket.connecting) await once(this.socket, "connect");
  }

  /** RFC 959 §4.2: "123 text" is a whole reply; "123-text" starts one that ends at "123 …". */
  async readReply(): Promise<FtpReply> {
    const first = await this.readLine();
    const code = first.slice(0, 3);
    if (!/^\d{3}$/.test(code)) throw new Error(`not an FTP reply: ${JSON.stringify(first)}`);
    const lines = [first];
    if (first[3] === "-") {
      while (!lines[lines.length - 1]!.startsWith(`${code} `)) lines.push(await this.readLine());
    }
    return { code: Number(code), text: lines.join("\n") };
  }

  async command(line: string): Promise<FtpReply> {
    this.socket.write(`${line}\r\n`); // every command line ends in \r\n (RFC 959 §4.1)
    return this.readReply();
  }

  close(): void {
    this.socket.destroy();
  }

  private async readLine(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
    return this.lines.shift()!;
  }

  private stop(reason: Error): void {
    this.ended ??= reason;
    this.wakeUp();
  }
}
