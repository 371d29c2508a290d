// Wrong answer: gives the inline logo a Content-ID the HTML does not use
// Names the inline image by its file name. The HTML says <img src="cid:logo-…">,
// the part says Content-ID: <logo.png> — the client finds no such part and shows a broken image.
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
        { filename: "logo.png", content: options.logo, contentType: "image/png", cid: "logo.png" /* the mistake */ },
      ],
    });
    return info.response;
  } finally {
    transport.close();
  }
}
