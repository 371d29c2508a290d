// Wrong answer: catches every error and resolves (a wrong password goes unnoticed)
// Catches every error, prints it, and resolves as if nothing happened. A
// wrong password (535) now looks like success to the caller.
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
      text: options.text,
      html: options.html,
      attachments: [
        { filename: options.attachment.filename, content: options.attachment.content },
        { filename: "logo.png", content: options.logo, contentType: "image/png", cid: options.logoCid },
      ],
    });
    return info.response;
  } catch (err) {
    console.error(`could not send: ${(err as Error).message}`); // the mistake: and carries on
    return "";
  } finally {
    transport.close();
  }
}
