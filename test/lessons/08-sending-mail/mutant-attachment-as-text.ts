// Wrong answer: passes the attachment as a string (its bytes are not text)
// Passes the attachment as a string. content.toString() decodes the bytes as
// UTF-8: every byte sequence that is not valid UTF-8 becomes U+FFFD, and the file is broken.
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
        { filename: options.attachment.filename, content: options.attachment.content.toString() } /* the mistake */,
        { filename: "logo.png", content: options.logo, contentType: "image/png", cid: options.logoCid },
      ],
    });
    return info.response;
  } finally {
    transport.close();
  }
}
