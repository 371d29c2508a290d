// Wrong answer: never checks the reply codes (a wrong password 'works')
// Reads every reply, but never looks at its code. A wrong password
// (535) or an unknown mailbox (550) goes unnoticed, and sendMail "succeeds".
export * from "../../../lessons/07-smtp-by-hand/solution.ts";
import net from "node:net";
import readline from "node:readline";
import { once } from "node:events";
import type { SendMailOptions } from "../../../lessons/07-smtp-by-hand/solution.ts";

export async function sendMail(options: SendMailOptions): Promise<string> {
  const socket = net.connect(options.port, options.host);
  socket.on("error", () => {}); // a failed read below reports it
  await once(socket, "connect");
  const lines = readline.createInterface({ input: socket });
  lines.on("error", () => {});
  const next = lines[Symbol.asyncIterator]();
  const reply = async (_expected: number) => {
    let line = "";
    do {
      const read = await next.next();
      if (read.done) throw new Error("SMTP: the server closed the connection");
      line = read.value;
    } while (/^\d{3}-/.test(line)); // "250-…": more lines follow
    // the mistake: `expected` is never compared with the code in `line`
    return line;
  };
  const command = (line: string, expected: number) => {
    socket.write(`${line}\r\n`);
    return reply(expected);
  };
  try {
    await reply(220);
    await command("EHLO localhost", 250);
    await command(`AUTH PLAIN ${Buffer.from(`\0${options.user}\0${options.password}`).toString("base64")}`, 235);
    await command(`MAIL FROM:<${options.from}>`, 250);
    for (const recipient of options.to) await command(`RCPT TO:<${recipient}>`, 250);
    await command("DATA", 354);
    const text = options.message.replace(/\r?\n/g, "\r\n").replace(/(\r\n)?$/, "\r\n").replace(/^\./gm, "..");
    const result = await command(`${text}.`, 250);
    await command("QUIT", 221);
    return result;
  } finally {
    socket.destroy();
  }
}
