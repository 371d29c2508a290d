// Wrong answer: takes each 'data' chunk as one whole reply
// Takes every 'data' event as one whole reply, like `s.recv(1024)` in a
// loop. On a quiet loopback each reply does arrive in one piece; through a real network a reply
// comes in several pieces (or two replies in one), and the conversation falls apart.
export * from "../../../lessons/07-smtp-by-hand/solution.ts";
import net from "node:net";
import { once } from "node:events";
import type { SendMailOptions } from "../../../lessons/07-smtp-by-hand/solution.ts";

export async function sendMail(options: SendMailOptions): Promise<string> {
  const socket = net.connect(options.port, options.host);
  socket.on("error", () => {}); // a failed read below reports it
  await once(socket, "connect");
  socket.setEncoding("utf8");
  const reply = async (expected: number) => {
    const [chunk] = (await once(socket, "data")) as [string]; // the mistake: a chunk is not a reply
    const line = chunk.trimEnd();
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
