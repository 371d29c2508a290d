// A tiny scripted FTP server for the lesson 11 checks. It serves one folder and does, on
// purpose, the legal things real servers do that a naive client gets wrong:
//
// - multi-line replies (RFC 959 §4.2): the greeting is the RFC's own example, with a line
//   "  234 …" inside a "220-" reply, and the reply to PASS has a line starting "226 " —
//   only the reply's own code and a space end a reply;
// - TYPE A (ASCII, the default until the client says TYPE I) turns every "\n" of a file
//   into "\r\n" on the way, as RFC 959 §3.1.1.1 allows (pyftpdlib does exactly this);
// - the listing arrives in pieces cut inside UTF-8 characters (a name like "Grüße-日本.txt");
// - the 226 "transfer complete" reply races the data connection: `finish: "226-first"`
//   sends 226 before the data, `"226-late"` sends it a while after the data connection closed;
// - `preliminary: 125` answers LIST and RETR with 125 instead of 150 (both mean "go on");
// - `loginAtUser` answers USER with 230 at once, as servers do when no password is needed;
// - `password` makes PASS with any other password fail with 530;
// - `pasvHost` is the address PASV announces: a server behind NAT announces its private one;
// - `dropAt` closes the control connection, without a word, when that command arrives.
//
// And it watches the client, as a strict server would: `mistakes` lists every command
// line that ended in a bare "\n", and every command sent before the previous command's
// reply was complete; `stillOpen()` names the connections the client has not closed.
// Only what lesson 11's client needs is here; everything else answers 502.
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

/** How long the server waits for the data connection after LIST or RETR before it answers 425. */
const DATA_CONNECTION_WAIT_MS = 1500;

export interface ScriptedOptions {
  files: Record<string, Buffer>; // the names in /pub and their contents
  finish?: "226-first" | "226-late" | "normal";
  preliminary?: 150 | 125;
  loginAtUser?: boolean;
  password?: string;
  pasvHost?: string; // default 127.0.0.1
  dropAt?: string; // a command word, e.g. "CWD"
}

export interface ScriptedServer {
  port: number;
  commands: string[]; // every command line received, in order (PASS hidden)
  mistakes: string[]; // what the client did against the protocol, in a learner's words
  /** Waits up to `ms` for the client to close every connection; names those still open. */
  stillOpen(ms: number): Promise<string[]>;
  /** Resolves when the server has dropped the control connection (`dropAt`). */
  dropped: Promise<void>;
  /** Resolves at the client's first mistake: no need to wait for the rest of the session. */
  firstMistake: Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedFtp(options: ScriptedOptions): Promise<ScriptedServer> {
  const commands: string[] = [];
  const mistakes: string[] = [];
  const sockets = new Set<net.Socket>();
  const servers = new Set<net.Server>();
  // Connections the client has not ended yet, with what they were for.
  const open = new Map<net.Socket, string>();
  let markDropped = () => {};
  const dropped = new Promise<void>((resolve) => (markDropped = resolve));
  let markMistake = () => {};
  const firstMistake = new Promise<void>((resolve) => (markMistake = resolve));
  const mistake = (text: string) => {
    mistakes.push(text);
    markMistake();
  };
  const track = (socket: net.Socket, label: string) => {
    sockets.add(socket);
    open.set(socket, label);
    socket.on("error", () => {});
    socket.on("end", () => open.delete(socket)); // the client's FIN
    socket.on("close", () => {
      open.delete(socket);
      sockets.delete(socket);
    });
  };

  const control = net.createServer((socket) => {
    track(socket, "the control connection");
    let type = "A";
    let cwd = "/";
    let user = "";
    let loggedIn = false;
    let dataSocket: Promise<net.Socket> | null = null;
    const say = (text: string) => socket.write(text + "\r\n");

    /** Sends `data` over the passive connection with the reply timing under test. */
    const sendData = async (data: Buffer, what: string, inPieces = false) => {
      const waiting = dataSocket;
      dataSocket = null;
      if (!waiting) return say("425 Use PASV first.");
      // Like ftp-srv, wait for the data connection before 150 — but not for ever.
      const connection = await Promise.race([waiting, sleep(DATA_CONNECTION_WAIT_MS).then(() => null)]);
      if (!connection) {
        mistake(
          `your client sent ${what} and waited, but had not connected to the port from the 227 reply ${DATA_CONNECTION_WAIT_MS / 1000} s later ` +
            "— connect the data connection first, then send the command (this server, like the playground's, answers 150 only once it is there)",
        );
        return say("425 No data connection.");
      }
      if (open.has(connection)) open.set(connection, `the data connection of ${what}`);
      const payload = type === "I" ? data : Buffer.from(data.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");
      say(`${options.preliminary ?? 150} Opening data connection.`);
      const sendPayload = async () => {
        if (!inPieces) return void connection.end(payload);
        for (const piece of cutInsideCharacters(payload)) {
          connection.write(piece);
          await sleep(5); // each piece its own TCP segment, so it arrives as its own chunk
        }
        connection.end();
      };
      if (options.finish === "226-first") {
        say("226 Transfer complete.");
        await sleep(60);
        await sendPayload();
      } else {
        await sendPayload();
        if (!connection.closed) await once(connection, "close");
        if (options.finish === "226-late") await sleep(60);
        say("226 Transfer complete.");
      }
    };

    const handle = async (line: string) => {
      const [word = "", ...rest] = line.split(" ");
      const arg = rest.join(" ");
      const verb = word.toUpperCase();
      if (verb === options.dropAt) {
        socket.destroy(); // no reply: a crashed server, a dropped connection
        markDropped();
        return;
      }
      if (!loggedIn && !["USER", "PASS", "QUIT"].includes(verb)) return say("530 Please login with USER and PASS.");
      switch (verb) {
        case "USER":
          user = arg;
          if (options.loginAtUser) {
            loggedIn = true;
            return say(`230 User ${user} logged in, no password needed.`);
          }
          return say("331 Please specify the password.");
        case "PASS":
          if (!user) return say("503 Login with USER first.");
          if (options.password !== undefined && arg !== options.password) return say("530 Login incorrect.");
          loggedIn = true;
          return say(
            [
              "230-Welcome to the scripted server.",
              "226 files are waiting for you in /pub (this line is not the end of the reply);",
              "  331 is not the end either.",
              '230 The last line starts with "230 ".',
            ].join("\r\n"),
          );
        case "CWD":
          if (arg === "/pub" || arg === "pub") {
            cwd = "/pub";
            return say('250 Directory changed to "/pub".');
          }
          return say(`550 ${arg}: no such directory.`);
        case "PWD":
          return say(`257 "${cwd}" is the current directory.`);
        case "TYPE":
          type = arg.toUpperCase() === "I" ? "I" : "A";
          return say(`200 Type set to ${type}.`);
        case "PASV": {
          const listener = net.createServer();
          servers.add(listener);
          listener.listen(0, "127.0.0.1");
          await once(listener, "listening");
          const port = (listener.address() as net.AddressInfo).port;
          dataSocket = new Promise((resolve) =>
            listener.once("connection", (connection: net.Socket) => {
              track(connection, "a data connection");
              listener.close();
              resolve(connection);
            }),
          );
          dataSocket.catch(() => {});
          const host = (options.pasvHost ?? "127.0.0.1").replaceAll(".", ",");
          return say(`227 Entering Passive Mode (${host},${Math.floor(port / 256)},${port % 256}).`);
        }
        case "LIST": {
          const listing = Object.entries(options.files)
            .map(([name, data]) => `-rw-r--r-- 1 ftp ftp ${String(data.length).padStart(8)} Jan 01 12:00 ${name}\n`)
            .join("");
          return sendData(Buffer.from(listing, "utf8"), "LIST", true);
        }
        case "RETR": {
          const data = cwd === "/pub" ? options.files[arg] : undefined;
          // The data connection (if the client opened one) stays open: closing it is the client's job.
          if (!data) {
            void dataSocket?.then((connection) => open.has(connection) && open.set(connection, `the data connection for RETR ${arg}`));
            return say(`550 ${arg}: no such file.`);
          }
          return sendData(data, `RETR ${arg}`);
        }
        case "QUIT":
          say("221 Goodbye.");
          socket.end();
          return;
        default:
          return say(`502 ${verb} not implemented.`);
      }
    };

    // One command at a time, in order. A command that arrives while the previous one is still
    // being answered is a client that did not wait for its reply: noted, then served anyway.
    let unanswered: string | null = null;
    let queue: Promise<unknown> = Promise.resolve();
    let buffer = "";
    let lineNumber = 0;
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf("\n")) !== -1) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const line = raw.replace(/\r$/, "");
        const shown = /^PASS /i.test(line) ? "PASS ****" : line;
        lineNumber++;
        commands.push(shown);
        if (!raw.endsWith("\r")) {
          mistake(`command line ${lineNumber} ${JSON.stringify(shown)} ended in \\n without \\r (RFC 959 §4.1: every line ends in \\r\\n)`);
        }
        if (unanswered !== null) {
          mistake(
            `your client sent ${JSON.stringify(shown)} before the server had finished answering ${JSON.stringify(unanswered)} ` +
              (/^(LIST|RETR)\b/i.test(unanswered)
                ? "— a transfer has two replies, 150 (or 125) and then 226: read both before the next command"
                : "— wait for the complete reply before the next command"),
          );
        }
        unanswered = shown;
        queue = queue
          .then(() => handle(line))
          .catch(() => socket.destroy()) // a client that goes away mid-command: drop the connection
          .finally(() => {
            if (unanswered === shown) unanswered = null;
          });
      }
    });
    // The greeting: RFC 959 §4.2's own example of a multi-line reply.
    say("220-Scripted FTP server for lesson 11.\r\nSecond line\r\n  234 A line beginning with numbers\r\n220 Ready.");
  });
  servers.add(control);
  control.listen(0, "127.0.0.1");
  await once(control, "listening");
  return {
    port: (control.address() as net.AddressInfo).port,
    commands,
    mistakes,
    dropped,
    firstMistake,
    async stillOpen(ms) {
      const deadline = Date.now() + ms;
      while (open.size > 0 && Date.now() < deadline) await sleep(20);
      return [...open.values()];
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) server.close();
    },
  };
}

/** Cuts `bytes` after the first byte of every multi-byte UTF-8 character (and every 40 bytes). */
function cutInsideCharacters(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let at = 0; at < bytes.length; at++) {
    const leadByte = bytes[at]! >= 0xc0;
    if ((leadByte || at - start >= 40) && at + 1 < bytes.length) {
      pieces.push(bytes.subarray(start, at + 1));
      start = at + 1;
    }
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
