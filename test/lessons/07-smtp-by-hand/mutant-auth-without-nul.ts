// Wrong answer: AUTH PLAIN without the leading \0 (base64 of user\0password)
// AUTH PLAIN with base64 of "user\0password". RFC 4616's message is
// authzid NUL authcid NUL password: the leading NUL (an empty "act as" identity) is missing, so the
// server reads the user name as the identity to act as, the password as the user… and says 535.
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
  const reply = async (expected: number) => {
    let line = "";
    do {
      const read = await next.next();
      if (read.done) throw new Error("SMTP: the server closed the connection");
      line = read.value;
    } while (/^\d{3}-/.test(line)); // "250-…": more lines follow
    if (!line.startsWith(String(expected))) throw new Error(`SMTP: got "${line}", expected ${expected}`);
    return line;
  };
  const command = (line: string, expected: number) => {
    socket.write(`${line}\r\n`);
    return reply(expected);
  };
  try {
    await reply(220);
    await command("EHLO localhost", 250);
    await command(`AUTH PLAIN ${Buffer.from(`${options.user}\0${options.password}`).toString("base64")}`, 235);
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
