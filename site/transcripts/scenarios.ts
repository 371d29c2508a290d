// The conversations the lesson site shows, recorded from real runs by `npm run transcripts`
// (site/record-transcripts.ts explains how, and how to add one). Each scenario is what a
// lesson's "Run this" does: the same server, the same client, the same input.
// A README shows a recording with the line `<!-- transcript: NAME -->`.

import type { Mask, Scenario, ServerToStart } from "../record-transcripts.ts";
import type { Side } from "../transcript-render.ts";
import { startHttpDemo } from "../../servers/http-demo.ts";
import { startMailSystem, type MailPorts } from "../../servers/mail/index.ts";
import { startFtpServer } from "../../servers/ftp/server.ts";
import { startNewsServer } from "../../servers/news/index.ts";
import { copyTestCertificate, TEST_CERTIFICATE_DIR } from "../../servers/tls.ts";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The playground's HTTP demo server (what `npm start` runs on 8080), in this process. */
const httpDemo = {
  label: "npm start",
  transport: "tcp",
  port: 8080,
  async start() {
    const { server, port } = await startHttpDemo(0, "127.0.0.1");
    return {
      port,
      async close() {
        server.close();
        await once(server, "close");
      },
    };
  },
} as const;

/** An HTTP response's Date header says when it was sent. */
const httpDate = {
  what: "the Date header (shown as the Unix epoch)",
  pattern: /(?<=\r\nDate: )\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/g,
  replacement: "Thu, 01 Jan 1970 00:00:00 GMT",
};

/** A fresh data dir, as on a learner's first `npm start`: the sample mail and files, nothing else. */
function freshDataDir(): { dataDir: string; remove(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), "socket-playground-transcript-data-"));
  return { dataDir, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * One of the playground's mail servers (what `npm start` runs on 2525 and 1110), in this process.
 * The whole mail system starts, so that a message to example.org really travels on to its MX;
 * only the connection to `which` goes through the recording proxy.
 */
function mailServer(which: keyof MailPorts, label: string, port: number, portEnv: string, options: { startTls?: boolean } = {}): ServerToStart {
  return {
    label,
    transport: "tcp",
    port,
    portEnv,
    // A client that takes STARTTLS is recorded through a proxy that holds the certificate's key.
    startTls: options.startTls ? testCertificate : undefined,
    async start() {
      const data = freshDataDir();
      if (options.startTls) await copyTestCertificate(join(data.dataDir, "tls")); // instead of a new one
      const mail = await startMailSystem({ dataDir: data.dataDir, ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 } });
      return {
        port: mail.ports[which],
        async close() {
          await mail.close();
          data.remove();
        },
      };
    },
  };
}

/**
 * The committed test certificate (servers/tls-test-cert/, its key is public): the mail system
 * presents it, the client trusts it (CA_FILE), the STARTTLS recording proxy holds its key.
 */
const TEST_CA_FILE = join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem");
const testCertificate = {
  cert: readFileSync(TEST_CA_FILE, "utf8"),
  key: readFileSync(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-key.pem"), "utf8"),
  servername: "localhost",
};

/** The playground's FTP server (what `npm start` runs on 2121), in this process. */
const ftpServer: ServerToStart = {
  label: "npm start (the FTP server)",
  transport: "tcp",
  port: 2121,
  portEnv: "FTP_PORT",
  async start() {
    const data = freshDataDir();
    const ftp = await startFtpServer({ dataDir: data.dataDir, port: 0, bigFileBytes: 100_000 });
    return {
      port: ftp.port,
      async close() {
        await ftp.close();
        data.remove();
      },
    };
  },
};

/** The playground's news server (what `npm start` runs on 1119), in this process, with the seed articles. */
const newsServer: ServerToStart = {
  label: "npm start (the news server)",
  transport: "tcp",
  port: 1119,
  portEnv: "NNTP_PORT",
  async start() {
    const data = freshDataDir();
    const news = await startNewsServer({ dataDir: data.dataDir, port: 0 });
    return {
      port: news.port,
      async close() {
        await news.close();
        data.remove();
      },
    };
  },
};

/** The demo accounts' password (servers/mail/accounts.ts); the scenarios pass it explicitly. */
const PASSWORD = "secret";

/**
 * The proxy records the password as it crossed the wire; the site shows it masked (as
 * pop3-by-hand.ts prints it). Lines come as the site shows them, with \r\n made visible.
 */
function maskPassword(what: string): Mask {
  return { what, line: hidePassword };
}

function hidePassword(line: string, side: Side): string {
  if (side !== "C") return line;
  if (line === `${Buffer.from(PASSWORD).toString("base64")}\\r\\n`) return "******\\r\\n"; // AUTH LOGIN's answer to "334 Password:"
  return line.replace(/^(AUTH PLAIN |PASS ).+?(?=\\r\\n$)/, "$1******"); // POP3's PASS; AUTH PLAIN's base64 of \0user\0password
}

/** The submission server names every message it accepts with a random queue id. */
const queueId = {
  what: "the queue id (random)",
  pattern: /(?<=queued as )[0-9A-F]+\b/g,
  replacement: "0000000000",
};

/** IMAP's UIDVALIDITY is made from the time a folder was created: new in every fresh data dir. */
const imapUidValidity = {
  what: "UIDVALIDITY (made from the time the folder was created)",
  pattern: /(?<=UIDVALIDITY |APPENDUID |COPYUID )\d+/g,
  replacement: "1700000000",
};

/** LOGIN "user" "password": the password, the second string, is masked. */
const imapLoginMask: Mask = {
  what: "the password",
  line: (line, side) => (side === "C" ? line.replace(/^(\S+ LOGIN \S+ ).*(?=\\r\\n$)/, "$1******") : line),
};

/**
 * imapflow logs in with AUTHENTICATE PLAIN (the server offers AUTH=PLAIN): after the server's
 * "+ ", the client sends base64 of "\0user\0password" (RFC 4616) — anyone can decode it.
 */
const imapAuthenticatePlainMask: Mask = {
  what: "the password (AUTHENTICATE PLAIN's base64 of \\0user\\0password)",
  line: (line, side) => (side === "C" && line === `${Buffer.from(`\0me@example.com\0${PASSWORD}`).toString("base64")}\\r\\n` ? "******\\r\\n" : line),
};

export const SCENARIOS: Scenario[] = [
  // ---- lesson 02: a TCP client ----
  {
    name: "http-get-hello",
    lesson: "02-tcp-client",
    title: "A hand-written HTTP GET for /hello.txt",
    servers: [httpDemo],
    client: { example: "examples/http-get-raw.ts", args: ["/hello.txt"] },
    normalize: [httpDate],
  },

  // ---- lesson 03: a TCP server ----
  {
    name: "tcp-echo",
    lesson: "03-tcp-server",
    title: "The echo server sends back every byte",
    servers: [{ example: "examples/tcp-echo-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/tcp-echo-client.ts", stdin: "hi\n" },
  },
  {
    name: "greeting",
    lesson: "03-tcp-server",
    title: "The greeting server: a welcome, one answer per name, Bye! on exit",
    servers: [{ example: "examples/greeting-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/greeting-client.ts", stdin: "Michael\nTracy\nSarah\n" },
    // After "Bye!" the server ends the connection, and the client ends it after reading "Bye!":
    // neither waits for the other's FIN.
    bothClose: "server first",
  },
  {
    name: "timestamp",
    lesson: "03-tcp-server",
    title: "The timestamp server puts the time in front of every line",
    servers: [{ example: "examples/timestamp-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/timestamp-client.ts", stdin: "hello\nworld\n" },
    normalize: [
      {
        what: "the time (shown as the Unix epoch)",
        pattern: /(?<=^|\n)\[\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}\]/g,
        replacement: "[Thu Jan  1 00:00:00 1970]",
      },
    ],
  },

  // ---- lesson 04: framing ----
  {
    name: "framing-chunks",
    lesson: "04-framing",
    title: "Three writes, one byte stream: the server finds the lines again",
    servers: [{ example: "examples/framing-chunks-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/framing-chunks-client.ts", stdin: "hello\nworld\nbye\n" },
    normalize: [
      {
        what: "how many 'data' events the bytes arrived in (it changes from run to run: that is the point)",
        pattern: /arrived in \d+ 'data' events?/g,
        replacement: "arrived in N 'data' events",
      },
    ],
  },
  {
    name: "framing-frames",
    lesson: "04-framing",
    title: "Length-prefixed frames: 4 bytes of length, then the payload",
    servers: [{ example: "examples/framing-frames-server.ts", transport: "tcp", port: 8888 }],
    // The client sends without waiting for echoes; typed line by line, every run looks the same.
    client: { example: "examples/framing-frames-client.ts", typed: ["hello", "张三", "bye"] },
  },

  // ---- lesson 05: UDP ----
  {
    name: "udp-hello",
    lesson: "05-udp",
    title: "UDP: one datagram per name, one datagram back",
    servers: [{ example: "examples/udp-hello-server.ts", transport: "udp", port: 8888 }],
    client: { example: "examples/udp-hello-client.ts", stdin: "Michael\nTracy\nSarah\n" },
  },
  {
    name: "udp-books",
    lesson: "05-udp",
    title: "UDP: two clients in turn; the book server answers every request with the next title",
    servers: [{ example: "examples/udp-books-server.ts", transport: "udp", port: 8888 }],
    client: [
      // A longer wait than the example's 1 s: on a busy machine an answer can be late, and the
      // recording would show a "lost" request that the lesson does not (the wire is the same).
      { example: "examples/udp-books-client.ts", stdin: "next\nnext\nnext\n", env: { TIMEOUT_MS: "10000" } },
      { example: "examples/udp-books-client.ts", stdin: "next\nnext\nnext\n", env: { TIMEOUT_MS: "10000" } },
    ],
  },
  {
    name: "udp-echo",
    lesson: "05-udp",
    title: "UDP echo: every datagram comes back as it was",
    servers: [{ example: "examples/udp-echo-server.ts", transport: "udp", port: 8888 }],
    client: { example: "examples/udp-echo-client.ts", stdin: "one\ntwo\nthree\nfour\nfive\nsix\n" },
  },

  // ---- lesson 07: SMTP by hand ----
  {
    name: "smtp-by-hand",
    lesson: "07-smtp-by-hand",
    title: "SMTP by hand: log in with AUTH PLAIN, send one message, QUIT",
    servers: [mailServer("submission", "npm start (SMTP submission, example.com)", 2525, "SMTP_PORT")],
    client: { example: "examples/smtp-by-hand.ts", env: { SMTP_PASSWORD: PASSWORD } },
    normalize: [queueId],
    mask: maskPassword("the password (AUTH PLAIN's base64 of \\0user\\0password: base64 is not encryption, anyone can decode it)"),
    // After "221 Bye" the server closes, and the client closes after reading it.
    bothClose: "server first",
  },
  {
    name: "smtp-auth-login",
    lesson: "07-smtp-by-hand",
    title: "AUTH LOGIN: the server asks for the user name and the password (in base64) one at a time",
    servers: [mailServer("submission", "npm start (SMTP submission, example.com)", 2525, "SMTP_PORT")],
    client: { example: "examples/smtp-by-hand.ts", args: ["login"], env: { SMTP_PASSWORD: PASSWORD } },
    normalize: [queueId],
    mask: maskPassword("the password (its base64, which anyone can decode)"),
    bothClose: "server first",
  },

  // ---- lesson 09: receiving mail ----
  {
    name: "pop3-by-hand",
    lesson: "09-receiving-mail",
    title: "POP3 by hand: log in, STAT, LIST, UIDL, read message 1, QUIT",
    servers: [mailServer("pop3", "npm start (POP3)", 1110, "POP3_PORT")],
    client: { example: "examples/pop3-by-hand.ts", env: { POP3_PASSWORD: PASSWORD } },
    normalize: [
      {
        what: "the greeting's <process.random@host> (APOP digests it with the password, so it is new every time)",
        pattern: /<\d+\.[0-9a-f]+@[^>\s]+>/g,
        replacement: "<1234.0123456789ab@playground>",
      },
      {
        what: "the unique ids (Maildir file names: delivery time, process id, host)",
        pattern: /^(\d+) \d+\.M\d+P\d+Q\d+\.[^\r\n]+/gm,
        replacement: "$1 1700000000.M0P1234Q$1.playground",
      },
    ],
    mask: maskPassword("the password"),
    // After "+OK signing off" the server closes, and the client closes after reading it.
    bothClose: "server first",
  },

  // ---- lesson 15: IMAP by hand ----
  {
    name: "imap-by-hand",
    lesson: "15-imap-by-hand",
    title: "IMAP by hand: LOGIN, LIST, SELECT, UID SEARCH, UID FETCH of headers and of one message, LOGOUT",
    servers: [mailServer("imap", "npm start (IMAP)", 1143, "IMAP_PORT")],
    client: { example: "examples/imap-by-hand.ts", env: { IMAP_PASSWORD: PASSWORD } },
    normalize: [imapUidValidity],
    mask: imapLoginMask,
    // After "A7 OK LOGOUT completed" the server closes, and the client closes after reading it.
    bothClose: "server first",
  },
  {
    name: "imap-append",
    lesson: "15-imap-by-hand",
    title: "APPEND: the client announces {216} bytes, waits for the server's \"+\", sends them; the draft read back",
    servers: [mailServer("imap", "npm start (IMAP)", 1143, "IMAP_PORT")],
    client: { example: "examples/imap-by-hand.ts", args: ["append"], env: { IMAP_PASSWORD: PASSWORD } },
    normalize: [imapUidValidity],
    mask: imapLoginMask,
    bothClose: "server first",
  },

  // ---- lesson 16: a mail client ----
  {
    name: "mail-client-imap",
    lesson: "16-mail-client",
    title: "examples/mail-client.ts over IMAP: STARTTLS, login, list, read 2, delete 1 (a move to Trash), logout",
    servers: [mailServer("imap", "npm start (IMAP)", 1143, "IMAP_PORT", { startTls: true })],
    client: { example: "examples/mail-client.ts", stdin: "list\nread 2\ndelete 1\nquit\n", env: { CA_FILE: TEST_CA_FILE, MAIL_PASSWORD: PASSWORD } },
    normalize: [imapUidValidity],
    mask: imapAuthenticatePlainMask,
    bothClose: "server first",
  },

  // ---- lesson 11: FTP by hand ----
  {
    name: "ftp-raw-session",
    lesson: "11-ftp-by-hand",
    title: "FTP by hand: the control connection only (the data connections for LIST and RETR go straight to the server, unrecorded)",
    servers: [ftpServer],
    // Anonymous FTP's "password" is an e-mail address by convention (RFC 1635): shown, as the example shows it.
    client: { example: "examples/ftp-raw-session.ts" },
    normalize: [
      {
        what: "the data connection's port in PASV's reply (shown as 30000 = 117 × 256 + 48, the playground's first passive port)",
        pattern: /(?<=^227 .*)\(\d+,\d+,\d+,\d+,\d+,\d+\)/gm,
        replacement: "(127,0,0,1,117,48)",
      },
      {
        what: "the data connection's port in EPSV's reply (shown as 30001, the next one npm start would use)",
        pattern: /(?<=^229 .*)\(\|\|\|\d+\|\)/gm,
        replacement: "(|||30001|)",
      },
    ],
    // After "221" the server closes, and the client closes after reading it.
    bothClose: "server first",
  },

  // ---- lesson 13: network news ----
  {
    name: "nntp-by-hand",
    lesson: "13-network-news",
    title: "NNTP by hand: GROUP, STAT and NEXT move the article pointer, OVER lists, BODY reads, QUIT",
    servers: [newsServer],
    client: { example: "examples/nntp-by-hand.ts" },
    // After "205" the server closes, and the client closes after reading it.
    bothClose: "server first",
  },
];
