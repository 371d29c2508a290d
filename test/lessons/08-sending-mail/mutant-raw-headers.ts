// Wrong answer: writes the headers itself, raw UTF-8 instead of RFC 2047
// Writes From, To and Subject itself, "prepared" so that nodemailer leaves them
// alone — raw UTF-8 in the headers, as the seeds' code would be without Header(). Headers must be
// ASCII (RFC 5322); old servers and clients turn such a Subject into mojibake.
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
      envelope: { from: options.from.address, to: options.to.address },
      headers: {
        From: { prepared: true, value: `${options.from.name} <${options.from.address}>` },
        To: { prepared: true, value: `${options.to.name} <${options.to.address}>` },
        Subject: { prepared: true, value: options.subject },
      },
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
