// Wrong answer: sends only the HTML version, no text alternative
// Sends only the HTML. Clients that do not show HTML (and people who turn it off,
// and spam filters that count it against you) get an empty message: no multipart/alternative.
export * from "../../../lessons/08-sending-mail/solution.ts";
import { readFile } from "node:fs/promises";
import nodemailer from "nodemailer";
import type { NewsletterOptions } from "../../../lessons/08-sending-mail/solution.ts";

export async function sendNewsletter(options: NewsletterOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure,
    auth: { user: options.user, pass: options.password },
    tls: { ca: await readFile(options.caFile) },
  });
  try {
    const info = await transport.sendMail({
      from: options.from,
      to: options.to,
      subject: options.subject,
      html: options.html,
      attachments: [
        { filename: options.attachment.filename, content: options.attachment.content },
        { filename: "logo.png", content: options.logo, contentType: "image/png", cid: options.logoCid },
      ],
    });
    return info.response;
  } finally {
    transport.close();
  }
}
