// Wrong answer: uses nodemailer instead of a socket
// Lets nodemailer speak SMTP. It delivers everything — and teaches nothing about
// the protocol, which is the point of this lesson. The checker reads the source.
export * from "../../../lessons/07-smtp-by-hand/solution.ts";
import nodemailer from "nodemailer";
import type { SendMailOptions } from "../../../lessons/07-smtp-by-hand/solution.ts";

export async function sendMail(options: SendMailOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    ignoreTLS: true, // plain text on loopback, like the solution
    auth: { user: options.user, pass: options.password },
  });
  try {
    const info = await transport.sendMail({ envelope: { from: options.from, to: options.to }, raw: options.message });
    return info.response;
  } finally {
    transport.close();
  }
}
