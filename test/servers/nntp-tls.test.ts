// STARTTLS on the news server (RFC 4642): the same connection turns into a TLS one, plaintext
// sent after the command is thrown away, and — beyond loopback — AUTHINFO waits for TLS.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { TEST_CERTIFICATE_DIR } from "../../servers/tls.ts";
import { hasPython } from "../kit/processes.ts";
import { RawNntp, runNntplib, startTestNews } from "./nntp-kit.ts";

const key = readFileSync(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-key.pem"), "utf8");
const cert = readFileSync(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem"), "utf8");
const caFile = join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem");

describe("NNTP STARTTLS (RFC 4642)", () => {
  test("382, then TLS on the same connection; CAPABILITIES drops STARTTLS; 502 for a second one; 580 without a certificate", async () => {
    const news = await startTestNews({ tls: { key, cert } });
    const client = await RawNntp.open(news.port);
    expect(await client.command("CAPABILITIES")).toMatch(/^101 /);
    expect(await client.block()).toContain("STARTTLS");
    expect(await client.command("GROUP playground.test")).toMatch(/^211 /);
    expect(await client.command("STARTTLS")).toBe("382 continue with TLS negotiation");
    await client.startTls(cert);
    // §2.2.2: the session starts over — the group chosen in plaintext is forgotten.
    expect(await client.command("STAT")).toMatch(/^412 /);
    expect(await client.command("CAPABILITIES")).toMatch(/^101 /);
    const capabilities = await client.block();
    expect(capabilities).not.toContain("STARTTLS");
    expect(capabilities).toContain("AUTHINFO USER");
    expect(await client.command("STARTTLS")).toMatch(/^502 /);
    expect(await client.command("AUTHINFO USER me")).toMatch(/^381 /);
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^281 /);
    expect(await client.command("QUIT")).toMatch(/^205 /);

    const noCertificate = await startTestNews();
    const plain = await RawNntp.open(noCertificate.port);
    expect(await plain.command("CAPABILITIES")).toMatch(/^101 /);
    expect(await plain.block()).not.toContain("STARTTLS");
    expect(await plain.command("STARTTLS")).toMatch(/^580 /);
  });

  test("plaintext pipelined after STARTTLS is thrown away (no command injection)", async () => {
    const news = await startTestNews({ tls: { key, cert } });
    const client = await RawNntp.open(news.port);
    client.socket.write("STARTTLS\r\nAUTHINFO USER injected\r\n");
    expect(await client.line()).toMatch(/^382 /);
    await client.startTls(cert);
    // Had "AUTHINFO USER injected" counted, PASS would get 481 (wrong password) instead of 482.
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^482 /);
  });

  test("beyond loopback, AUTHINFO waits for TLS: 483 and not advertised before STARTTLS, 281 after; no STARTTLS after login", async () => {
    const news = await startTestNews({ tls: { key, cert }, requireTlsForLogin: true });
    const client = await RawNntp.open(news.port);
    expect(await client.command("CAPABILITIES")).toMatch(/^101 /);
    expect(await client.block()).not.toContain("AUTHINFO USER");
    expect(await client.command("AUTHINFO USER me")).toMatch(/^483 encryption required/);
    expect(await client.command("STARTTLS")).toMatch(/^382 /);
    await client.startTls(cert);
    expect(await client.command("AUTHINFO USER me")).toMatch(/^381 /);
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^281 /);
    expect(await client.command("STARTTLS")).toMatch(/^502 /);
  });

  test.skipIf(!hasPython)("Python's nntplib: starttls() with the playground's CA file, then login and read", async () => {
    const news = await startTestNews({ tls: { key, cert } });
    const found = await runNntplib(
      news.port,
      String.raw`
import ssl
s = nntplib.NNTP("127.0.0.1", port)
s.starttls(ssl.create_default_context(cafile=sys.argv[2]))
s.login("me", "secret")
resp, count, first, last, name = s.group("comp.lang.python")
print(json.dumps({"tls": s.sock.version(), "group": resp, "quit": s.quit()}))
`,
      [caFile],
    );
    expect(found.tls).toMatch(/^TLSv1\.[23]$/);
    expect(found.group).toMatch(/^211 \d+ 1201 \d+ comp\.lang\.python$/);
    expect(found.quit).toMatch(/^205 /);
  });
});
