// A tiny scripted FTP server for the lesson 11 checks. It serves one folder with one file
// and does, on purpose, the legal things real servers do that a naive client gets wrong:
//
// - multi-line replies ("220-…" lines, then "220 …"), for the greeting and for PASS;
// - TYPE A (ASCII, the default until the client says TYPE I) turns every "\n" of a file
//   into "\r\n" on the way, as RFC 959 §3.1.1.1 allows (pyftpdlib does exactly this);
// - the 226 "transfer complete" reply races the data connection: `finish: "226-first"`
//   sends 226 before the data, `"226-late"` sends it a while after the data connection closed;
// - `pasvHost` is the address PASV announces: a server behind NAT announces its private one.
//
// Only what lesson 11's client needs is here; everything else answers 502.
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

export interface ScriptedOptions {
  files: Record<string, Buffer>; // the names in /pub and their contents
  finish?: "226-first" | "226-late" | "normal";
  pasvHost?: string; // default 127.0.0.1
}

export interface ScriptedServer {
  port: number;
  commands: string[]; // every command line received, in order (PASS hidden)
  close(): Promise<void>;
}

export async function startScriptedFtp(options: ScriptedOptions): Promise<ScriptedServer> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const servers = new Set<net.Server>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  };

  const control = net.createServer((socket) => {
    track(socket);
    let type = "A";
    let cwd = "/";
    let loggedIn = false;
    let dataSocket: Promise<net.Socket> | null = null;
    const say = (text: string) => socket.write(text + "\r\n");

    /** Sends `data` over the passive connection with the reply timing under test. */
    const sendData = async (data: Buffer) => {
      const waiting = dataSocket;
      dataSocket = null;
      if (!waiting) return say("425 Use PASV first.");
      const connection = await waiting;
      const payload = type === "I" ? data : Buffer.from(data.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");
      say("150 Opening data connection.");
      if (options.finish === "226-first") {
        say("226 Transfer complete.");
        await sleep(60);
        connection.end(payload);
      } else {
        connection.end(payload);
        await once(connection, "close");
        if (options.finish === "226-late") await sleep(60);
        say("226 Transfer complete.");
      }
    };

    let buffer = "";
    socket.setEncoding("latin1");
    // A client that goes away mid-command is not this server's problem: drop the connection.
    socket.on("data", (text: string) => void onData(text).catch(() => socket.destroy()));
    const onData = async (text: string) => {
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, end).replace(/\r$/, "");
        buffer = buffer.slice(end + 1);
        const [word = "", ...rest] = line.split(" ");
        const arg = rest.join(" ");
        const verb = word.toUpperCase();
        commands.push(verb === "PASS" ? "PASS ****" : line);
        if (!loggedIn && !["USER", "PASS", "QUIT"].includes(verb)) {
          say("530 Please login with USER and PASS.");
          continue;
        }
        switch (verb) {
          case "USER":
            say("331 Please specify the password.");
            break;
          case "PASS":
            loggedIn = true;
            say("230-Welcome to the scripted server.\r\n230-This reply has three lines;\r\n230 the last one starts with \"230 \".");
            break;
          case "CWD":
            if (arg === "/pub" || arg === "pub") {
              cwd = "/pub";
              say('250 Directory changed to "/pub".');
            } else say(`550 ${arg}: no such directory.`);
            break;
          case "PWD":
            say(`257 "${cwd}" is the current directory.`);
            break;
          case "TYPE":
            type = arg.toUpperCase() === "I" ? "I" : "A";
            say(`200 Type set to ${type}.`);
            break;
          case "PASV": {
            const listener = net.createServer();
            servers.add(listener);
            listener.listen(0, "127.0.0.1");
            await once(listener, "listening");
            const port = (listener.address() as net.AddressInfo).port;
            dataSocket = new Promise((resolve) =>
              listener.once("connection", (connection: net.Socket) => {
                track(connection);
                listener.close();
                resolve(connection);
              }),
            );
            dataSocket.catch(() => {});
            const host = (options.pasvHost ?? "127.0.0.1").replaceAll(".", ",");
            say(`227 Entering Passive Mode (${host},${Math.floor(port / 256)},${port % 256}).`);
            break;
          }
          case "LIST": {
            const listing = Object.entries(options.files)
              .map(([name, data]) => `-rw-r--r-- 1 ftp ftp ${String(data.length).padStart(8)} Jan 01 12:00 ${name}\n`)
              .join("");
            await sendData(Buffer.from(listing));
            break;
          }
          case "RETR": {
            const data = cwd === "/pub" ? options.files[arg] : undefined;
            if (!data) say(`550 ${arg}: no such file.`);
            else await sendData(data);
            break;
          }
          case "QUIT":
            say("221 Goodbye.");
            socket.end();
            break;
          default:
            say(`502 ${verb} not implemented.`);
        }
      }
    };
    // The greeting: a multi-line reply, as many servers send (RFC 959 §4.2).
    say("220-Scripted FTP server for lesson 11.\r\n220-Replies may span lines:\r\n 220 is not at the start of this line\r\n220 Ready.");
  });
  servers.add(control);
  control.listen(0, "127.0.0.1");
  await once(control, "listening");
  return {
    port: (control.address() as net.AddressInfo).port,
    commands,
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) server.close();
    },
  };
}
