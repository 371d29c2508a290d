// Spec for lessons/08-sending-mail: a MIME message built with nodemailer and sent over TLS to
// the playground; the checks read the stored message back from the Maildir and parse it with
// mailparser, the way a mail client would.
import net from "node:net";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { expect } from "vitest";
import { simpleParser, type ParsedMail, type AddressObject } from "mailparser";
import { SMTPServer } from "smtp-server";
import { checkLesson, expectRejects, type Network } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/08-sending-mail/exercise.ts";
import type { NewsletterOptions } from "../../../lessons/08-sending-mail/solution.ts";
import { mailPlayground, uniqueMarker, waitForMessage, type MailPlayground } from "../06-how-email-works/mail-playground.ts";

type Lesson08 = typeof import("../../../lessons/08-sending-mail/solution.ts");

// The seeds' liaoxuefeng example, names and all.
const LOGO = readFileSync(new URL("../../../servers/mail/samples/playground.png", import.meta.url));
const EVERY_BYTE = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256)); // not text, not UTF-8

function newsletter(mail: MailPlayground, marker: string, overrides: Partial<NewsletterOptions> = {}): NewsletterOptions {
  return {
    host: "127.0.0.1",
    port: mail.ports.submission,
    secure: false,
    caFile: mail.caFile,
    user: "me@example.com",
    password: "secret",
    from: { name: "Python爱好者", address: "me@example.com" },
    to: { name: "管理员", address: "friend@example.org" },
    subject: `来自SMTP的问候…… ${marker}`,
    text: "Hello, send by Node.js…\n你好！",
    html: `<html><body><h1>Hello</h1><p><img src="cid:logo-${marker}@example.com"></p><p>你好！</p></body></html>`,
    logo: LOGO,
    logoCid: `logo-${marker}@example.com`,
    attachment: { filename: "成绩 2026.bin", content: EVERY_BYTE },
    ...overrides,
  };
}

/** Sends a newsletter (to friend@example.org) and reads it back from the Maildir. */
async function sendAndFetch(
  impl: Lesson08,
  overrides: Partial<NewsletterOptions> = {},
): Promise<{ options: NewsletterOptions; reply: string; raw: Buffer; parsed: ParsedMail }> {
  const mail = await mailPlayground();
  const marker = uniqueMarker("lesson08");
  const options = newsletter(mail, marker, overrides);
  const reply = await impl.sendNewsletter(options);
  const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes(`logo-${marker}`));
  // keepCidLinks: leave <img src="cid:…"> as sent (mailparser would turn it into a data: URL)
  const parsed = await simpleParser(raw, { keepCidLinks: true });
  return { options, reply, raw, parsed };
}

const firstAddress = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field[0] : field)?.value[0];

/** A TCP relay that keeps what the client sent, to see what crossed the wire in clear text. */
async function recordingProxy(network: Network, targetPort: number): Promise<{ port: number; fromClient(): Buffer }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.on("data", (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  network.defer(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, fromClient: () => Buffer.concat(chunks) };
}

/** An SMTP server with a certificate that is NOT the playground's: a stranger on the path. */
async function impostor(
  network: Network,
  kind: "starttls" | "implicit tls" | "no tls" = "starttls",
): Promise<{ port: number; passwordsSeen: string[] }> {
  const passwordsSeen: string[] = [];
  const server = new SMTPServer({
    key: readFileSync(new URL("./impostor-cert/key.pem", import.meta.url)),
    cert: readFileSync(new URL("./impostor-cert/cert.pem", import.meta.url)),
    secure: kind === "implicit tls", // TLS from the first byte, like port 4650
    hideSTARTTLS: kind === "no tls", // a server (or a man in the middle) that offers no STARTTLS
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      passwordsSeen.push(auth.password ?? "");
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => callback());
    },
  });
  server.on("error", () => {});
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  network.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as net.AddressInfo).port, passwordsSeen };
}

const CHECK_MS = 15_000;

checkLesson<Lesson08>("08-sending-mail", {
  exercise,
  checks: [
    {
      name: "port 2525: STARTTLS before AUTH — the password never crosses the wire in clear text",
      timeoutMs: CHECK_MS,
      async run(impl, network) {
        const mail = await mailPlayground();
        const proxy = await recordingProxy(network, mail.ports.submission);
        const { reply } = await sendAndFetch(impl, { port: proxy.port, secure: false });
        expect(reply, "sendNewsletter resolves with the server's reply").toMatch(/^250[ -]/);
        const clear = proxy.fromClient().toString("latin1");
        const starttls = clear.search(/^STARTTLS\r\n/m);
        expect(starttls, "the client said STARTTLS").not.toBe(-1);
        expect(clear.slice(0, starttls), "nothing before STARTTLS logs in").not.toMatch(/^AUTH/im);
        for (const secret of [Buffer.from("\0me@example.com\0secret").toString("base64"), Buffer.from("secret").toString("base64")]) {
          expect(clear.includes(secret), `the password (as ${secret}) never appears in clear text`).toBe(false);
        }
      },
    },
    {
      name: "port 4650 (secure: true): TLS from the first byte, trusting the playground's CA file",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const mail = await mailPlayground();
        const { reply } = await sendAndFetch(impl, { port: mail.ports.smtps, secure: true });
        expect(reply).toMatch(/^250[ -]/);
      },
    },
    {
      name: "an impostor with another self-signed certificate: refused, and it never sees the password",
      timeoutMs: CHECK_MS,
      async run(impl, network) {
        const mail = await mailPlayground();
        const fake = await impostor(network);
        const options = newsletter(mail, uniqueMarker("lesson08-impostor"), { port: fake.port, secure: false });
        const err = await expectRejects(impl.sendNewsletter(options), "sendNewsletter to a server whose certificate is not the playground's");
        expect(fake.passwordsSeen, "passwords the impostor received").toEqual([]);
        expect(err.message, "the error is about the certificate").toMatch(/certificate/i);
      },
    },
    {
      name: "an impostor on TLS from the first byte (secure: true): refused too, and it never sees the password",
      timeoutMs: CHECK_MS,
      async run(impl, network) {
        const mail = await mailPlayground();
        const fake = await impostor(network, "implicit tls");
        const options = newsletter(mail, uniqueMarker("lesson08-impostor-tls"), { port: fake.port, secure: true });
        const err = await expectRejects(impl.sendNewsletter(options), "sendNewsletter (secure: true) to a server whose certificate is not the playground's");
        expect(fake.passwordsSeen, "passwords the impostor received (check the certificate on every TLS connection, secure: true too)").toEqual([]);
        expect(err.message, "the error is about the certificate").toMatch(/certificate/i);
      },
    },
    {
      name: "a server that offers no STARTTLS: refused before AUTH (requireTLS), the password never sent",
      timeoutMs: CHECK_MS,
      async run(impl, network) {
        const mail = await mailPlayground();
        const fake = await impostor(network, "no tls");
        const options = newsletter(mail, uniqueMarker("lesson08-no-tls"), { port: fake.port, secure: false });
        await expectRejects(impl.sendNewsletter(options), "sendNewsletter to a server that offers no STARTTLS");
        expect(fake.passwordsSeen, "passwords sent in clear text to a server without STARTTLS (insist on TLS: requireTLS)").toEqual([]);
      },
    },
    {
      name: "From, To and Subject arrive decoded: Python爱好者, 管理员, 来自SMTP的问候……",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const { options, parsed } = await sendAndFetch(impl);
        expect(firstAddress(parsed.from), "From").toEqual(options.from);
        expect(firstAddress(parsed.to), "To").toEqual(options.to);
        expect(parsed.subject, "Subject").toBe(options.subject);
      },
    },
    {
      name: "the headers on the wire are ASCII: non-ASCII text travels as RFC 2047 encoded words",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const { raw } = await sendAndFetch(impl);
        const headerSection = raw.subarray(0, raw.indexOf("\n\n"));
        const lines = headerSection.toString("utf8").split("\n");
        const eightBit = lines.filter((line) => /[^\x00-\x7f]/.test(line));
        expect(eightBit, "header lines with bytes that are not ASCII").toEqual([]);
        expect(lines.find((line) => /^subject:/i.test(line)), "the Subject header as received").toMatch(/=\?utf-8\?[bq]\?/i);
      },
    },
    {
      name: "a text version and an HTML version (multipart/alternative)",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const { options, parsed, raw } = await sendAndFetch(impl);
        expect(raw.toString("latin1"), "the message has a multipart/alternative part").toMatch(/content-type:\s*multipart\/alternative/i);
        expect(parsed.text?.trim(), "the text version").toBe(options.text.trim());
        expect(parsed.html, "the HTML version").toContain("<h1>Hello</h1>");
      },
    },
    {
      name: "the attachment arrives byte for byte, with its file name",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const { options, parsed } = await sendAndFetch(impl);
        const attachment = parsed.attachments.find((part) => part.contentDisposition === "attachment");
        expect(attachment, "a part with Content-Disposition: attachment").toBeDefined();
        expect(attachment!.filename, "its file name").toBe(options.attachment.filename);
        expect(attachment!.content.toString("hex"), "its bytes, in hex").toBe(options.attachment.content.toString("hex"));
      },
    },
    {
      name: "the inline logo: its Content-ID is the one the HTML's <img src=\"cid:…\"> names",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const { options, parsed } = await sendAndFetch(impl);
        const logo = parsed.attachments.find((part) => part.content.equals(options.logo));
        expect(logo, "a part holding the logo's bytes").toBeDefined();
        expect(logo!.cid, "the logo's Content-ID").toBe(options.logoCid);
        expect(logo!.contentType, "the logo's Content-Type").toBe("image/png");
        expect(parsed.html, "the HTML shows it").toContain(`src="cid:${logo!.cid}"`);
      },
    },
    {
      name: "a wrong password: rejects with nodemailer's error, code EAUTH, responseCode 535",
      timeoutMs: CHECK_MS,
      async run(impl) {
        const mail = await mailPlayground();
        const options = newsletter(mail, uniqueMarker("lesson08-535"), { password: "wrong" });
        const err = (await expectRejects(impl.sendNewsletter(options), "sendNewsletter with a wrong password")) as Error & { code?: string; responseCode?: number };
        expect(err.code, "err.code").toBe("EAUTH");
        expect(err.responseCode, "err.responseCode").toBe(535);
      },
    },
  ],
});
