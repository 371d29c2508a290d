// What the lesson 15 spec needs from the playground: a fresh mail system per check with one more
// account whose password must be quoted, and a raw IMAP session of the spec's own — another
// mail client on the same mailbox — to change flags, expunge, and look at what the client did.
import net from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Network } from "../../kit/checker.ts";
import { startMailSystem } from "../../../servers/mail/index.ts";
import { DEFAULT_MAIL_ACCOUNTS } from "../../../servers/mail/accounts.ts";
import { copyTestCertificate } from "../../../servers/tls.ts";
import type { Playground } from "../09-receiving-mail/playground.ts";
import { RawLineClient } from "../../kit/raw-line-client.ts";

export { deliverViaMx, storedMessages } from "../09-receiving-mail/playground.ts";

/** An account whose password has a space, a double quote and a backslash: LOGIN must quote it. */
export const QUOTED_ACCOUNT = { address: "quote@example.org", password: 'my "quoted" pass\\word' };

/** A fresh mail system (no sample mail), closed and removed when the check ends. */
export async function startImapPlayground(network: Pick<Network, "defer">): Promise<Playground> {
  const dataDir = mkdtempSync(join(tmpdir(), "playground-imap-"));
  await copyTestCertificate(join(dataDir, "tls"));
  const system = await startMailSystem({
    dataDir,
    seed: false,
    fsync: false,
    accounts: [...DEFAULT_MAIL_ACCOUNTS, QUOTED_ACCOUNT],
    ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 },
  });
  network.defer(async () => {
    await system.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { system, mailRoot: join(dataDir, "mail"), ca: readFileSync(system.caFile, "utf8") };
}

/**
 * The spec's own IMAP session, independent of the client under test: logged in, INBOX selected.
 * `run("UID FETCH 3 (FLAGS)")` returns the answer's lines, the tagged one last; a NO or BAD throws.
 * Only for commands whose answers hold no literals.
 */
export async function rawImap(port: number, user = "friend@example.org", password = "secret"): Promise<{ run(command: string): Promise<string[]>; close(): void }> {
  // The kit's raw line client (test/kit/raw-line-client.ts) reads the lines; IMAP's tags are added here.
  const client = new RawLineClient(net.connect(port, "127.0.0.1"));
  const nextLine = (): Promise<string> =>
    client.line().catch((err: Error) => {
      throw new Error(`(the spec's own IMAP session) ${err.message}`);
    });
  let tags = 0;
  const run = async (command: string): Promise<string[]> => {
    const tag = `S${++tags}`;
    client.send(`${tag} ${command}`);
    const lines: string[] = [];
    for (;;) {
      const line = await nextLine();
      lines.push(line);
      if (line.startsWith(`${tag} `)) {
        if (!line.startsWith(`${tag} OK`)) throw new Error(`(the spec's own IMAP session) ${command}: ${line}`);
        return lines;
      }
    }
  };
  await nextLine(); // the greeting
  await run(`LOGIN "${user}" "${password.replace(/["\\]/g, "\\$&")}"`);
  await run("SELECT INBOX");
  return { run, close: () => client.socket.destroy() };
}

/** The flags of the message with this UID, as the spec's own session sees them. */
export async function flagsOf(session: { run(command: string): Promise<string[]> }, uid: number): Promise<string[]> {
  const lines = await session.run(`UID FETCH ${uid} (FLAGS)`);
  const flags = lines.map((line) => /FETCH \(.*FLAGS \(([^)]*)\)/.exec(line)?.[1]).find((found) => found !== undefined);
  if (flags === undefined) throw new Error(`(the spec's own IMAP session) no message with UID ${uid}`);
  return flags.split(" ").filter((flag) => flag !== "" && flag !== "\\Recent");
}
