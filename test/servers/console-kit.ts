// Shared by the console's browse tests (API and browser): a whole small playground over one temp
// data dir — the mail system, the FTP server, the news server, and the HTTP server with the
// console — filled the way a learner fills it: mail sent with nodemailer (through the relay to
// the MX: two hops), a file uploaded with basic-ftp, articles posted over NNTP.

import http from "node:http";
import net from "node:net";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Client as FtpClient } from "basic-ftp";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { createConsole } from "../../servers/console/index.ts";
import { handleBrowse } from "../../servers/console/browse.ts";
import type { Viewer } from "../../servers/console/viewer.ts";
import { startFtpServer } from "../../servers/ftp/server.ts";
import { startHttpDemo } from "../../servers/http-demo.ts";
import { startMailSystem, type MailSystem } from "../../servers/mail/index.ts";
import { startNewsServer } from "../../servers/news/index.ts";
import { copyTestCertificate } from "../../servers/tls.ts";
import { ANY_PORTS } from "./mail-kit.ts";

export interface TestPlayground {
  dataDir: string;
  mail: MailSystem;
  ftpPort: number;
  nntpPort: number;
  /** http://127.0.0.1:PORT — the console is at /console/. */
  base: string;
  /** An HTTP server that answers /console/api/… as handleBrowse does for this viewer (a student, say). */
  baseFor(viewer: Viewer): Promise<string>;
  close(): Promise<void>;
}

export async function startTestPlayground(): Promise<TestPlayground> {
  const dataDir = await mkdtemp(join(tmpdir(), "console-browse-"));
  await copyTestCertificate(join(dataDir, "tls"));
  const closers: (() => Promise<unknown>)[] = [];
  const mail = await startMailSystem({ dataDir, ports: ANY_PORTS, seed: false });
  closers.push(() => mail.close());
  const ftp = await startFtpServer({ port: 0, dataDir, bigFileBytes: 10_000 });
  closers.push(() => ftp.close());
  const news = await startNewsServer({ port: 0, dataDir });
  closers.push(() => news.close());
  const console_ = createConsole({ dataDir });
  const { server, port } = await startHttpDemo(0, "127.0.0.1", undefined, {}, console_.handle);
  closers.push(() => closeServer(server));
  return {
    dataDir,
    mail,
    ftpPort: ftp.port,
    nntpPort: news.port,
    base: `http://127.0.0.1:${port}`,
    async baseFor(viewer) {
      const other = http.createServer((request, response) => {
        const path = new URL(request.url ?? "/", "http://x").pathname;
        void handleBrowse(request, response, path, viewer, { dataDir }).then((answered) => {
          if (!answered) response.writeHead(404).end();
        });
      });
      other.listen(0, "127.0.0.1");
      await once(other, "listening");
      closers.push(() => closeServer(other));
      return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

/** Sends one message as me@example.com through the submission server (STARTTLS + AUTH), as lesson 08 does. */
export async function sendMail(playground: TestPlayground, message: SendMailOptions): Promise<void> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: playground.mail.ports.submission,
    secure: false,
    requireTLS: true,
    tls: { ca: [await readFile(playground.mail.caFile)] },
    auth: { user: "me@example.com", pass: "secret" },
  });
  try {
    const info = await transport.sendMail({ from: '"Me Sender" <me@example.com>', ...message });
    if (info.rejected.length > 0) throw new Error(`rejected: ${info.rejected.join(", ")}`);
  } finally {
    transport.close();
  }
}

/** Uploads `content` as me/secret into me's FTP home, as lesson 12 does with basic-ftp. */
export async function uploadFile(playground: TestPlayground, name: string, content: string): Promise<void> {
  const client = new FtpClient(10_000);
  try {
    await client.access({ host: "127.0.0.1", port: playground.ftpPort, user: "me", password: "secret" });
    await client.uploadFrom(Readable.from([Buffer.from(content)]), name);
  } finally {
    client.close();
  }
}

/** POSTs one article (CRLF text, headers then body) over NNTP, as lesson 13 does by hand; returns the status line. */
export async function postArticle(playground: TestPlayground, article: string): Promise<string> {
  const socket = net.connect(playground.nntpPort, "127.0.0.1");
  socket.setEncoding("utf8");
  let buffered = "";
  const line = async (): Promise<string> => {
    while (!buffered.includes("\r\n")) buffered += (await once(socket, "data"))[0];
    const end = buffered.indexOf("\r\n");
    const text = buffered.slice(0, end);
    buffered = buffered.slice(end + 2);
    return text;
  };
  try {
    await line(); // 200 greeting
    socket.write("POST\r\n");
    const go = await line();
    if (!go.startsWith("340 ")) throw new Error(`POST: ${go}`);
    const stuffed = article.replace(/\r\n$/, "").split("\r\n").map((text) => (text.startsWith(".") ? "." + text : text));
    socket.write(stuffed.join("\r\n") + "\r\n.\r\n");
    const status = await line();
    socket.write("QUIT\r\n");
    await line();
    return status;
  } finally {
    socket.destroy();
  }
}

/** Polls `check` until it returns something other than undefined (mail relayed to the MX arrives a moment later). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
