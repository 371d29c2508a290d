// Lesson 07 — reference solution. Same exports as exercise.ts.
//
// SMTP (RFC 5321) is a conversation of lines: the client sends a command, the server answers
// with a reply — a three-digit code and some text. The first digit says how it went:
//   2xx done   3xx go on (send more)   4xx failed, try again later   5xx failed for good
// A reply can span several lines: "250-" means "more lines follow", "250 " is the last one.

import net from "node:net";

export interface SendMailOptions {
  host: string;
  port: number;
  user: string; // "me@example.com"
  password: string;
  from: string; // the envelope sender: MAIL FROM:<from>
  to: string[]; // the envelope recipients: one RCPT TO:<…> each
  message: string; // headers, empty line, body — lines end in "\n" or "\r\n"
}

/** Sends `message` over a raw TCP socket; resolves with the server's reply to it ("250 …"). */
export async function sendMail(options: SendMailOptions): Promise<string> {
  const smtp = await SmtpConnection.open(options.host, options.port);
  try {
    await smtp.reply(220); // RFC 5321 §4.3.1: the server speaks first, with its greeting
    await smtp.command("EHLO localhost", 250); // §4.1.1.1: who we are; the reply lists the extensions
    // RFC 4954 + RFC 4616: AUTH PLAIN sends "\0user\0password" in base64. Base64 is not
    // encryption — anyone who sees these bytes can decode the password (lesson 08 adds TLS).
    const token = Buffer.from(`\0${options.user}\0${options.password}`).toString("base64");
    await smtp.command(`AUTH PLAIN ${token}`, 235, "AUTH PLAIN");
    await smtp.command(`MAIL FROM:<${options.from}>`, 250); // §4.1.1.2: the envelope sender
    for (const recipient of options.to) await smtp.command(`RCPT TO:<${recipient}>`, 250); // §4.1.1.3
    await smtp.command("DATA", 354); // §4.1.1.4: "354 go ahead, end with <CRLF>.<CRLF>"
    const reply = await smtp.data(options.message);
    await smtp.command("QUIT", 221); // §4.1.1.10: a polite goodbye
    return reply;
  } finally {
    smtp.close();
  }
}

/** Dot-stuffing (RFC 5321 §4.5.2): CRLF line endings, one more "." before every line that starts with ".". */
function dotStuff(message: string): string {
  let text = message.replace(/\r?\n/g, "\r\n"); // SMTP lines end in CRLF, never a bare LF
  if (!text.endsWith("\r\n")) text += "\r\n";
  // A line holding only "." ends the data, so the content's own lines that start with "."
  // get a second one; the server removes it again.
  return text.replace(/^\./gm, "..");
}

/** One SMTP connection: send a command line, read the (possibly multi-line) reply. */
class SmtpConnection {
  private received = ""; // bytes that arrived but were not read as a reply yet
  private closedBecause: Error | null = null;
  private wakeUp: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8"); // replies are text; setEncoding keeps a character cut in two whole
    socket.on("data", (text: string) => {
      this.received += text;
      this.wakeUp?.();
    });
    const closed = (why: string) => {
      this.closedBecause ??= new Error(why);
      this.wakeUp?.();
    };
    socket.on("end", () => closed("the server closed the connection"));
    socket.on("close", () => closed("the connection is closed"));
    socket.on("error", (err) => closed(`connection error: ${err.message}`));
  }

  static async open(host: string, port: number): Promise<SmtpConnection> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new SmtpConnection(socket);
  }

  /** Sends one command line; fails unless the reply has the `expected` code. */
  async command(line: string, expected: number, shownAs = line): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply(expected, shownAs);
  }

  /** After 354: the message, dot-stuffed, then the "." line that ends it. */
  async data(message: string): Promise<string> {
    this.socket.write(`${dotStuff(message)}.\r\n`);
    return this.reply(250, "the message");
  }

  /** Reads one whole reply: lines "250-…" continue it, the line "250 …" ends it (RFC 5321 §4.2.1). */
  async reply(expected: number, after = "the greeting"): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      lines.push(line);
      if (!/^\d{3}-/.test(line)) break; // "250 OK" or a bare "250": the last line
    }
    const text = lines.join("\n");
    if (Number(text.slice(0, 3)) !== expected) {
      throw new Error(`SMTP: ${after} got "${text}" (expected ${expected})`);
    }
    return text;
  }

  /** The next line the server sent, without its CRLF; waits for it if it is not all here yet. */
  private async readLine(): Promise<string> {
    for (;;) {
      const end = this.received.indexOf("\r\n");
      if (end !== -1) {
        const line = this.received.slice(0, end);
        this.received = this.received.slice(end + 2);
        return line;
      }
      if (this.closedBecause) throw new Error(`SMTP: ${this.closedBecause.message} in the middle of a reply`);
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
      this.wakeUp = null;
    }
  }

  /** QUIT was said (or something failed): end the connection. */
  close(): void {
    this.socket.destroy();
  }
}
