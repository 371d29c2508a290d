// Debian's Dovecot as a reference server for the benches: the same Maildir, the same accounts,
// side by side in one run. It runs with a private config on a free port, never the system's
// (no /etc/dovecot, no port 110): every file it needs lives in `workDir`.
//
// Dovecot drops privileges for its login and mail processes and refuses to run them as root,
// so when the bench runs as root (CI) those processes run as nobody, and the Maildir copy is
// given to nobody; as any other user, everything runs as that user.
//
// The Maildir handed over must be a COPY: Dovecot writes its index files into it
// (dovecot.index*, dovecot-uidlist) and moves messages from new/ to cur/.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";

const DOVECOT = "/usr/sbin/dovecot";

export interface Dovecot {
  port: number;
  /** The master process: each session is a child of it (an imap or pop3 process per session). */
  pid: number;
  /** Stops the master and resolves once it has exited: its children (and their files in the state
   *  folder) are gone by then, so the bench can remove the folder without racing them. */
  stop(): Promise<void>;
}

/** Where the bench can say why the Dovecot column is empty. */
export function dovecotMissing(protocol: "pop3" | "imap"): string | null {
  if (!existsSync(DOVECOT)) return "Dovecot is not installed (apt-get install dovecot-pop3d dovecot-imapd)";
  if (!existsSync(`/usr/lib/dovecot/${protocol}`)) return `Dovecot's ${protocol} is not installed (apt-get install dovecot-${protocol === "pop3" ? "pop3d" : "imapd"})`;
  return null;
}

/** "Dovecot 2.3.19.1", or "Dovecot" when it cannot say. */
export function dovecotVersion(): string {
  const result = spawnSync(DOVECOT, ["--version"], { encoding: "utf8" });
  return result.status === 0 ? `Dovecot ${result.stdout.split(" ")[0]}` : "Dovecot";
}

/** Starts Dovecot for `protocol` over the Maildirs in `mailRoot` (<mailRoot>/<address>/{cur,new,tmp}). */
export async function startDovecot(options: { protocol: "pop3" | "imap"; workDir: string; mailRoot: string; accounts: { address: string; password: string }[] }): Promise<Dovecot> {
  const { protocol, workDir, mailRoot } = options;
  await mkdir(join(workDir, "run"), { recursive: true });
  await mkdir(join(workDir, "state"), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? "nobody" : userInfo().username;
  const group = asRoot ? "nogroup" : (spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim() || user);
  if (asRoot) {
    await chownTree(mailRoot, 65534, 65534);
    // nobody must reach the Maildir and the password file: mkdtemp makes folders only root can enter.
    for (const folder of [workDir, mailRoot]) await letOthersIn(folder);
  }
  await writeFile(join(workDir, "passwd"), options.accounts.map(({ address, password }) => `${address}:{PLAIN}${password}::::::\n`).join(""));
  const port = await freePort();
  const config = `# A private Dovecot for the benches (test/bench/dovecot.ts); everything it needs is in this folder.
base_dir = ${workDir}/run
state_dir = ${workDir}/state
log_path = ${workDir}/dovecot.log
listen = 127.0.0.1
protocols = ${protocol}
ssl = no
# Plain-text passwords over loopback, like the playground's own servers accept there.
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = ${user}
default_internal_group = ${group}
default_login_user = ${user}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${workDir}/passwd
}
userdb {
  driver = static
  args = uid=${user} gid=${group} home=${workDir}/home/%u
}
mail_location = maildir:${mailRoot}/%u
# The bench opens more sessions per user and address than a mail client would.
mail_max_userip_connections = 1000
service ${protocol}-login {
  inet_listener ${protocol} {
    port = ${port}
  }
  inet_listener ${protocol}s {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
`;
  const configFile = join(workDir, "dovecot.conf");
  await writeFile(configFile, config);
  // -F: in the foreground, as our child (no daemon left behind if the bench dies).
  const child = spawn(DOVECOT, ["-F", "-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => (errors += chunk));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", async (code) => reject(new Error(`dovecot exited (${code}): ${errors}${await readFile(join(workDir, "dovecot.log"), "utf8").catch(() => "")}`))),
  );
  await Promise.race([waitForPort(port), exited]);
  exited.catch(() => {}); // a later exit (stop()) is expected
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill();
    await gone;
  };
  return { port, pid: child.pid!, stop };
}

/** chmod o+x on `folder` and each folder above it that lacks it (so another user can pass through). */
async function letOthersIn(folder: string): Promise<void> {
  for (let at = resolve(folder); ; at = dirname(at)) {
    const { mode } = await stat(at);
    if ((mode & 0o001) === 0) await chmod(at, (mode & 0o7777) | 0o005);
    if (dirname(at) === at) return;
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}

/** A port nobody listens on right now (the system's choice for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (listening) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dovecot does not listen on 127.0.0.1:${port} (see its log in the bench's work folder)`);
}
