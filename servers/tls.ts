// The playground's TLS certificate: what STARTTLS, STLS, SMTPS (4650) and POP3S (9950) present.
//
// A real mail provider buys (or gets from Let's Encrypt) a certificate signed by an authority that
// every computer already trusts. The playground cannot: it runs on your machine, offline. So on
// first start it makes a SELF-SIGNED certificate for the names a learner connects to (localhost,
// 127.0.0.1, ::1). Nobody trusts it until told to: a client must be given the certificate file
// ("the CA file") — `ssl.create_default_context(cafile=...)` in Python, `{ ca: ... }` in Node.
// Turning verification off instead (`rejectUnauthorized: false`) would make TLS useless: anyone
// in the middle could present their own certificate. Lesson 08 shows both.
//
//   <dataDir>/tls/key.pem    the private key (stays here)
//   <dataDir>/tls/cert.pem   the certificate = the CA file clients trust

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export interface TlsFiles {
  /** PEM text of the private key. */
  key: string;
  /** PEM text of the certificate. */
  cert: string;
  /** Path of the certificate PEM: the file a client trusts. */
  caFile: string;
}

/** A certificate committed to the repository for machines without `openssl`. Its private key is public. */
export const TEST_CERTIFICATE_DIR = fileURLToPath(new URL("./tls-test-cert/", import.meta.url));

/** Returns the data dir's certificate, creating it on first start. */
export async function ensureCertificate(dataDir: string): Promise<TlsFiles> {
  const dir = join(dataDir, "tls");
  const existing = await readCertificate(dir);
  if (existing) return existing;

  // Several playgrounds (tests run in parallel) may start on one fresh data dir at the same
  // moment. Each makes its key and certificate in a private temporary folder and then renames
  // the whole folder to tls/. A rename is atomic, and renaming onto a folder that already has
  // files fails: exactly one wins, the others throw their copy away and use the winner's. No one
  // ever reads a key from one run next to a certificate from another.
  await mkdir(dataDir, { recursive: true });
  const temporary = join(dataDir, `tls.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(temporary);
  try {
    await createCertificate(temporary);
    await rename(temporary, dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST" && err.code !== "EPERM") throw err;
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  const created = await readCertificate(dir);
  if (!created) throw new Error(`${dir} exists but has no key.pem and cert.pem — delete that folder and start again`);
  return created;
}

async function readCertificate(dir: string): Promise<TlsFiles | null> {
  const caFile = join(dir, "cert.pem");
  try {
    const [key, cert] = await Promise.all([readFile(join(dir, "key.pem"), "utf8"), readFile(caFile, "utf8")]);
    return { key, cert, caFile };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Writes key.pem and cert.pem into `dir`: a fresh certificate from `openssl`, or the test one. */
async function createCertificate(dir: string): Promise<void> {
  try {
    await promisify(execFile)("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      "-subj", "/CN=localhost/O=Socket Playground (self-signed, this machine only)",
      // Clients check the name they connected to against subjectAltName, not CN.
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
    ]);
  } catch (err) {
    console.warn(
      `playground: could not run openssl (${(err as Error).message.split("\n")[0]}).\n` +
        `Using the TEST certificate from ${TEST_CERTIFICATE_DIR} — its private key is public, so it protects nothing.\n` +
        "Install openssl and delete the data dir's tls/ folder to get a private one.",
    );
    await copyTestCertificate(dir);
  }
}

/**
 * Puts the committed TEST certificate (key.pem, cert.pem) into `tlsDir`. The fallback above uses
 * it, and so do tests: a data dir that already has one skips the half second openssl takes.
 */
export async function copyTestCertificate(tlsDir: string): Promise<void> {
  await mkdir(tlsDir, { recursive: true });
  await copyFile(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-key.pem"), join(tlsDir, "key.pem"));
  await copyFile(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem"), join(tlsDir, "cert.pem"));
}
