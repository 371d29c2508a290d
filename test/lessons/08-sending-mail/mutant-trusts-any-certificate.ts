// Wrong answer: trusts any certificate (tls: { rejectUnauthorized: false })
// "self-signed certificate" made the error go away with
// rejectUnauthorized: false. TLS still encrypts — but to whoever answers: an impostor with any
// certificate now gets the password, encrypted just for him.
export * from "../../../lessons/08-sending-mail/solution.ts";
import nodemailer from "nodemailer";
import type { NewsletterOptions } from "../../../lessons/08-sending-mail/solution.ts";

export async function sendNewsletter(options: NewsletterOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure,
    auth: { user: options.user, pass: options.password },
    tls: { rejectUnauthorized: false }, // the mistake
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
  } finally {
    transport.close();
  }
}
