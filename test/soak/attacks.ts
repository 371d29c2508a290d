// The attacks of issue 13, bounded and seeded: each returns its figures and the problems it saw
// (an empty list means the playground held). soak.test.ts and soak-short.test.ts choose the sizes.

import net from "node:net";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  conversation, deliver, filesUnder, ftpLogin, ftpRetrieve, ftpStore, passivePort, Playground, post, PROTOCOLS, sleep, Talk, timedSession,
  wholeText, type Protocol, type Random,
} from "./soak-kit.ts";

export interface Outcome {
  name: string;
  figures: Record<string, number | string>;
  problems: string[];
}

// ----- issue 13's seven breaks -----

/** Break 1: `LIST ACTIVE` with many stars and a `!` froze every server for ~32 s. */
export async function wildmatStars(playground: Playground, stars = 400): Promise<Outcome> {
  const problems: string[] = [];
  const started = performance.now();
  await conversation(playground.ports.nntp, async (talk) => {
    await talk.reply();
    talk.send(`LIST ACTIVE ${"*".repeat(stars)}!`);
    const reply = await talk.reply(10_000);
    if (reply.code !== 215 && reply.code !== 501) problems.push(`LIST ACTIVE ${stars} stars + '!': got ${reply.line}`);
    if (reply.code === 215) await talk.expect(/^\.\r\n/m, 10_000);
  }).catch((error: Error) => problems.push(`LIST ACTIVE ${stars} stars + '!': ${error.message}`));
  return { name: "1. wildmat stars", figures: { stars, answeredMs: Math.round(performance.now() - started) }, problems };
}

/** Break 2: PASV + RETR of a missing file, alternating with PASV + LIST, leaked passive listeners. */
export async function pasvChurn(playground: Playground, rounds: number): Promise<Outcome> {
  const problems: string[] = [];
  let noConnector = 0;
  const talk = await ftpLogin(playground.ports);
  try {
    for (let round = 0; round < rounds; round++) {
      talk.send("PASV");
      const pasv = await talk.reply();
      if (pasv.code !== 227) {
        problems.push(`round ${round}: PASV got ${pasv.line}`);
        break;
      }
      // As a real client does (basic-ftp, ftplib): connect to the data port right after the 227.
      const data = net.connect(passivePort(pasv.line), "127.0.0.1");
      data.on("error", () => {});
      data.resume();
      if (round % 2 === 0) {
        talk.send("RETR missing-file.bin");
        const reply = await talk.reply();
        if (/No connector/i.test(reply.line)) noConnector++;
        data.destroy();
      } else {
        talk.send("LIST");
        let reply = await talk.reply();
        if (/No connector/i.test(reply.line)) noConnector++;
        if (reply.code === 150 || reply.code === 125) reply = await talk.reply();
        data.destroy();
      }
    }
    talk.send("QUIT");
    await talk.reply();
  } finally {
    talk.close();
  }
  if (noConnector > 0) problems.push(`${noConnector} times '451 No connector' right after a 227`);
  // Listeners must go when the session ends, or at the latest when their idle timer (10 s after
  // the PASV) closes them: before issue 13's fix they stayed until the playground restarted. Waited
  // for up to twice that, as a loaded machine may run the timer late.
  let left = playground.passiveListeners();
  for (let wait = 0; left > 0 && wait < 80; wait++) {
    await sleep(250);
    left = playground.passiveListeners();
  }
  if (left > 0) problems.push(`${left} passive listeners still open 20 s after the session quit`);
  return { name: "2. PASV + RETR-missing churn", figures: { rounds, noConnector, listenersLeft: left }, problems };
}

/** Break 3: an overwrite whose data connection is reset, or whose client is killed, lost the file that had its 226. */
export async function uploadResetAndKill(playground: Playground, rounds: number): Promise<Outcome> {
  const problems: string[] = [];
  const precious = Buffer.from(wholeText("precious", 64 * 1024));
  const talk = await ftpLogin(playground.ports, "me", "secret");
  try {
    const code = await ftpStore(talk, "precious.bin", precious);
    if (code !== 226) problems.push(`STOR precious.bin got ${code}`);
    for (let round = 0; round < rounds; round++) {
      // An overwrite (sometimes after REST 1000) whose data connection is reset half-way.
      if (round % 2 === 1) {
        talk.send("REST 1000");
        await talk.reply();
      }
      talk.send("TYPE I");
      await talk.reply();
      talk.send("PASV");
      const data = net.connect(passivePort((await talk.reply()).line), "127.0.0.1");
      data.on("error", () => {});
      await new Promise((resolve) => data.once("connect", resolve));
      talk.send("STOR precious.bin");
      await talk.reply();
      data.write(Buffer.alloc(20_000, 0x78));
      await sleep(30);
      data.resetAndDestroy();
      const end = await talk.reply(15_000);
      if (end.code === 226) problems.push(`round ${round}: a reset overwrite got 226`);
      const now = await ftpRetrieve(talk, "precious.bin");
      if (!now.bytes || !now.bytes.equals(precious)) problems.push(`round ${round}: precious.bin is not the acknowledged file any more (${now.line})`);
    }
  } finally {
    talk.close();
  }
  // A client killed mid-upload: nothing under the name, no partial file visible.
  for (let round = 0; round < rounds; round++) {
    const victim = await ftpLogin(playground.ports, "me", "secret");
    victim.send("TYPE I");
    await victim.reply();
    victim.send("PASV");
    const data = net.connect(passivePort((await victim.reply()).line), "127.0.0.1");
    data.on("error", () => {});
    await new Promise((resolve) => data.once("connect", resolve));
    victim.send(`STOR killed-${round}.bin`);
    await victim.reply();
    data.write(Buffer.alloc(50_000, 0x79));
    await sleep(30);
    victim.socket.resetAndDestroy();
    data.destroy();
  }
  await sleep(500);
  const look = await ftpLogin(playground.ports, "me", "secret");
  try {
    look.send("PASV");
    const data = net.connect(passivePort((await look.reply()).line), "127.0.0.1");
    data.on("error", () => {});
    const chunks: Buffer[] = [];
    data.on("data", (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => data.once("close", resolve));
    look.send("NLST");
    await look.reply();
    await closed;
    await look.reply();
    const names = Buffer.concat(chunks).toString().split(/\r?\n/).filter(Boolean);
    const visible = names.filter((name) => /killed-|\.part$|ftp-upload/.test(name));
    if (visible.length > 0) problems.push(`half-written uploads visible: ${visible.join(", ")}`);
  } finally {
    look.close();
  }
  return { name: "3. upload reset / client killed", figures: { rounds }, problems };
}

/** Break 4: RETR racing DELE leaked the data dir's absolute path in a 551. */
export async function retrRacingDele(playground: Playground, rounds: number): Promise<Outcome> {
  const problems: string[] = [];
  const writer = await ftpLogin(playground.ports, "me", "secret");
  const reader = await ftpLogin(playground.ports, "me", "secret");
  const content = Buffer.from(wholeText("race", 256 * 1024));
  let replies = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      await ftpStore(writer, "race.bin", content);
      const [read] = await Promise.all([
        ftpRetrieve(reader, "race.bin").catch((error: Error) => ({ bytes: null, line: error.message })),
        (async () => {
          await sleep(round % 5);
          writer.send("DELE race.bin");
          return writer.reply();
        })(),
      ]);
      replies++;
      if (read.bytes && !read.bytes.equals(content)) problems.push(`round ${round}: RETR during DELE sent ${read.bytes.length} bytes with a 226`);
    }
  } finally {
    writer.close();
    reader.close();
  }
  for (const text of [writer.all, reader.all]) {
    if (text.includes(playground.dataDir) || /\/tmp\/|ENOENT/.test(text)) problems.push(`a reply shows a server path: ${JSON.stringify(/^.*(\/tmp\/|ENOENT).*$/m.exec(text)?.[0])}`);
  }
  return { name: "4. RETR racing DELE", figures: { rounds, replies }, problems };
}

/**
 * Break 5: posts with 15 headers of 60 KB each grew the NNTP server's memory without bound (360 posts:
 * 98 → 429 MB), and a restart read it all back (457 MB). The posts come from several loopback
 * addresses (the POST rate limit allows 30 at once per address); then the playground restarts on
 * the same data dir and must start about as small as it did before any of them.
 * Returns the restarted playground.
 */
export async function hugeNewsHeaders(playground: Playground, posts: number, random: Random, freshRssMb: number): Promise<{ playground: Playground; outcome: Outcome }> {
  const problems: string[] = [];
  const before = playground.rssMb();
  let accepted = 0;
  for (let i = 0; i < posts; i++) {
    const headers = Array.from({ length: 15 }, (_, h) => `X-Huge-${h}: ${"h".repeat(60_000 - random.int(100))}\r\n`).join("");
    await post(playground.ports, `huge-${process.pid}-${i}-${random.int(1e9)}`, 200, headers, `127.0.1.${1 + Math.floor(i / 25)}`)
      .then(() => accepted++)
      .catch((error: Error) => problems.push(`post ${i}: ${error.message}`));
  }
  const after = playground.rssMb();
  await playground.stop();
  const restarted = await Playground.start(playground.dataDir, playground.passive);
  await sleep(1_000);
  const afterRestart = restarted.rssMb();
  // Kept in memory, the headers cost ~0.8 MB of RSS a post after a restart (60 posts: +48 MB before
  // the fix, +23 MB after, most of it the restart's own noise); allowed: 20 MB + 0.25 MB a post.
  const allowedMb = 20 + 0.25 * posts;
  // The RSS while posting is reported, not bounded here: it is mostly garbage the collector has not
  // taken yet (60 posts: +80 MB with the fix, +112 MB without), so it cannot tell kept from freed.
  // The suite's RSS limit still applies to it; what was kept shows after the restart.
  if (afterRestart - freshRssMb > allowedMb) problems.push(`after a restart the playground holds ${afterRestart.toFixed(0)} MB, ${(afterRestart - freshRssMb).toFixed(0)} MB more than its first start (limit ${allowedMb} MB)`);
  return {
    playground: restarted,
    outcome: {
      name: "5. huge NNTP headers",
      figures: { posts, accepted, rssBeforeMb: Math.round(before), rssAfterMb: Math.round(after), firstStartMb: Math.round(freshRssMb), afterRestartMb: Math.round(afterRestart) },
      problems,
    },
  };
}

/** Break 6: more control connections holding a PASV than the passive range has ports locked everyone out with '400'. */
export async function pasvExhaustion(playground: Playground): Promise<Outcome> {
  const problems: string[] = [];
  const rangeSize = playground.passive[1] - playground.passive[0] + 1;
  const holders: Talk[] = [];
  const codes = new Map<number, number>();
  try {
    for (let i = 0; i < rangeSize + 30; i++) {
      // FTP caps control connections per client address: the holders come from 127.0.0.2, .3, …
      const talk = await ftpLogin(playground.ports, "anonymous", "soak@soak.test", `127.0.0.${2 + Math.floor(i / 25)}`);
      holders.push(talk);
      talk.send("PASV");
      const reply = await talk.reply();
      codes.set(reply.code, (codes.get(reply.code) ?? 0) + 1);
      if (reply.code !== 227 && reply.code !== 425) problems.push(`PASV #${i} got ${reply.line}`);
    }
  } finally {
    for (const talk of holders) talk.close();
  }
  if (problems.length > 5) problems.splice(5, problems.length - 5, "…");
  // Once they are gone, a legitimate client gets its data connection again.
  let after = "";
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await timedSession("ftp", playground.ports);
      after = "ok";
      break;
    } catch (error) {
      after = (error as Error).message;
      await sleep(500);
    }
  }
  if (after !== "ok") problems.push(`after the holders left, a legitimate FTP session failed: ${after}`);
  return { name: "6. PASV exhaustion", figures: { connections: rangeSize + 30, ...Object.fromEntries([...codes].map(([code, n]) => [`got${code}`, n])) }, problems };
}

/** Break 7: two whole SMTP transactions and QUIT in one write got the two 250s, then 60 s of silence. */
export async function smtpPipelining(playground: Playground, rounds: number): Promise<Outcome> {
  const problems: string[] = [];
  let slowest = 0;
  for (let round = 0; round < rounds; round++) {
    const transaction = (n: number) => `MAIL FROM:<soak@soak.test>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\nSubject: pipelined ${n}\r\n\r\nbody ${n}\r\n.\r\n`;
    const started = performance.now();
    await conversation(playground.ports.mx, async (talk) => {
      await talk.reply();
      talk.socket.write(`EHLO soak.test\r\n${transaction(1)}${transaction(2)}QUIT\r\n`);
      await talk.expect(/^221 /m, 10_000);
    }).catch((error: Error) => problems.push(`round ${round}: ${error.message}`));
    slowest = Math.max(slowest, performance.now() - started);
  }
  return { name: "7. SMTP pipelining past DATA", figures: { rounds, slowestMs: Math.round(slowest) }, problems };
}

// ----- every server attacked while another serves a legitimate client -----

/** A generic flood: garbage lines, half-sent lines held open (slowloris), connect-and-reset. */
async function flood(port: number, random: Random, durationMs: number, connections: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      while (performance.now() < deadline) {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", () => {});
        socket.resume();
        await new Promise((resolve) => {
          socket.once("connect", resolve);
          socket.once("error", resolve);
        });
        const kind = (i + random.int(3)) % 3;
        if (kind === 0) {
          for (let n = 0; n < 50; n++) socket.write(`${"X".repeat(random.int(400))} ${random.int(1e6)}\r\n`);
        } else if (kind === 1) {
          // slowloris: a line that never ends, one byte at a time
          for (let n = 0; n < 10 && performance.now() < deadline; n++) {
            socket.write("Y");
            await sleep(100);
          }
        }
        sent++;
        await sleep(20);
        socket.resetAndDestroy();
      }
    }),
  );
  return sent;
}

/** The attack each server gets on top of the flood: the break of issue 13 that belongs to it. */
const SPECIAL: Record<Protocol, (playground: Playground, random: Random) => Promise<unknown>> = {
  http: async (playground) =>
    Promise.all(Array.from({ length: 20 }, () => conversation(playground.ports.http, async (talk) => {
      talk.socket.write(`GET /${"a".repeat(60_000)} HTTP/1.1\r\nHost: x\r\n${"X-Junk: y\r\n".repeat(500)}\r\n`);
      await talk.closeWait(3_000);
    }).catch(() => {}))),
  smtp: (playground) => smtpPipelining(playground, 5),
  pop3: async (playground) =>
    Promise.all(Array.from({ length: 10 }, () => conversation(playground.ports.pop3, async (talk) => {
      talk.socket.write("USER me@example.com\r\nPASS wrong\r\n".repeat(3));
      await talk.closeWait(3_000);
    }).catch(() => {}))),
  imap: async (playground) =>
    Promise.all(Array.from({ length: 10 }, () => conversation(playground.ports.imap, async (talk) => {
      // A LIST pattern of stars and a '!' froze every server for seconds (a backtracking RegExp, like the wildmats).
      talk.socket.write(`a LOGIN me@example.com secret\r\nb LIST "" "${"*".repeat(400)}!"\r\nc SELECT ${"(".repeat(5_000)}\r\nd FETCH 1:* ${"(".repeat(5_000)}\r\ne LOGIN me@example.com wrong\r\n`);
      await talk.closeWait(3_000);
    }).catch(() => {}))),
  ftp: (playground) => pasvChurn(playground, 30),
  nntp: (playground) => Promise.all([wildmatStars(playground, 400), wildmatStars(playground, 400)]),
};

/**
 * For each server in turn: flood it and run its own attack for `durationMs`, while a legitimate
 * client keeps doing sessions on the next server; the slowest of those sessions is the figure.
 */
export async function everyServerUnderAttack(playground: Playground, random: Random, durationMs: number, connections: number, limitMs: number): Promise<Outcome> {
  const problems: string[] = [];
  const figures: Record<string, number | string> = {};
  for (const [index, target] of PROTOCOLS.entries()) {
    const victim = PROTOCOLS[(index + 1) % PROTOCOLS.length]!;
    const port = target === "smtp" ? playground.ports.mx : playground.ports[target];
    let attacking = true;
    const attack = Promise.all([flood(port, random, durationMs, connections), SPECIAL[target](playground, random)]).finally(() => (attacking = false));
    const latencies: number[] = [];
    while (attacking || latencies.length < 3) {
      const ms = await timedSession(victim, playground.ports).catch((error: Error) => {
        problems.push(`${victim} while ${target} was attacked: ${error.message}`);
        return Infinity;
      });
      latencies.push(ms);
      await sleep(50);
    }
    await attack;
    const slowest = Math.max(...latencies);
    figures[`${victim} while ${target} attacked`] = `${latencies.length} sessions, slowest ${Math.round(slowest)} ms`;
    if (slowest > limitMs) problems.push(`${victim} took ${Math.round(slowest)} ms while ${target} was attacked (limit ${limitMs} ms)`);
    if (!playground.alive) problems.push(`the playground exited while ${target} was attacked`);
  }
  return { name: "every server attacked, another answering", figures, problems };
}

// ----- kill -9 during deliveries, uploads and posts -----

const sha = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/**
 * Deliveries (SMTP), uploads (FTP) and posts (NNTP) run side by side; after a seeded moment the
 * playground gets SIGKILL. Then it restarts on the same data dir, and everything that was
 * acknowledged (250 / 226 / 240) must be there whole, and nothing half-written visible.
 * Returns the restarted playground with the outcome.
 */
export async function killDuringWrites(playground: Playground, random: Random, round: number): Promise<{ playground: Playground; outcome: Outcome }> {
  const problems: string[] = [];
  const ackedMail: string[] = [];
  const ackedUploads = new Map<string, string>();
  const ackedPosts: string[] = [];
  let stopping = false;
  const tag = `k${round}-${random.int(1e9).toString(36)}`;
  const ports = playground.ports;

  const mailer = async (worker: number) => {
    for (let n = 0; !stopping; n++) {
      const token = `mail-${tag}-${worker}-${n}`;
      await deliver(ports, token, 4_000 + random.int(60_000)).then(() => ackedMail.push(token), () => (stopping ||= !playground.alive));
    }
  };
  const uploader = async (worker: number) => {
    const talk = await ftpLogin(ports, "me", "secret").catch(() => null);
    for (let n = 0; talk && !stopping; n++) {
      const name = `up-${tag}-${worker}-${n}.bin`;
      const content = Buffer.from(wholeText(name, 20_000 + random.int(400_000)));
      const code = await ftpStore(talk, name, content).catch(() => 0);
      if (code === 226) ackedUploads.set(name, sha(content));
      if (code === 0) break;
    }
    talk?.close();
  };
  const poster = async (worker: number) => {
    for (let n = 0; !stopping && n < 8; n++) {
      const token = `post-${tag}-${worker}-${n}`;
      await post(ports, token, 2_000 + random.int(30_000)).then(() => ackedPosts.push(token), () => (stopping ||= !playground.alive));
    }
  };
  const writers = Promise.all([mailer(0), mailer(1), uploader(0), uploader(1), poster(0)]);
  const started = performance.now();
  while (ackedMail.length + ackedUploads.size + ackedPosts.length < 3 && performance.now() - started < 30_000) await sleep(20);
  await sleep(200 + random.int(1_500));
  await playground.kill9();
  stopping = true;
  await writers;

  const restarted = await Playground.start(playground.dataDir, playground.passive);

  // Mail: every acknowledged message in new/ or cur/, whole; no file there that is half of one.
  const maildir = join(playground.dataDir, "mail", "friend@example.org");
  const found = new Set<string>();
  for (const folder of ["new", "cur"]) {
    for (const file of filesUnder(join(maildir, folder))) {
      const text = readFileSync(join(maildir, folder, file), "latin1");
      const token = /^X-Soak-Token: (\S+)/m.exec(text)?.[1];
      if (!token) continue;
      if (!text.includes(`END-OF-${token}`)) problems.push(`half-written message visible: ${folder}/${file}`);
      else found.add(token);
    }
  }
  const lostMail = ackedMail.filter((token) => !found.has(token));
  if (lostMail.length) problems.push(`${lostMail.length} acknowledged messages lost: ${lostMail.slice(0, 3).join(", ")}`);
  const tmpLeft = filesUnder(join(maildir, "tmp")).length;
  if (tmpLeft) problems.push(`${tmpLeft} files left in Maildir tmp/ after the restart`);

  // FTP: every acknowledged upload whole under its name; no partial file under any name.
  const home = join(playground.dataDir, "ftp", "home", "me");
  let lostUploads = 0;
  for (const [name, hash] of ackedUploads) {
    const path = join(home, name);
    if (!existsSync(path) || sha(readFileSync(path)) !== hash) lostUploads++;
  }
  if (lostUploads) problems.push(`${lostUploads} acknowledged uploads missing or changed`);
  for (const file of filesUnder(home)) {
    if (/\.part$|ftp-upload/.test(file)) problems.push(`upload leftover visible after restart: ${file}`);
    else if (file.startsWith(`up-${tag}`) && !readFileSync(join(home, file), "latin1").endsWith(`END-OF-${file}`)) problems.push(`half-written upload under its real name: ${file}`);
  }

  // News: every acknowledged article readable and whole; no article file that is half of one.
  let lostPosts = 0;
  await conversation(restarted.ports.nntp, async (talk) => {
    await talk.reply();
    for (const token of ackedPosts) {
      talk.send(`ARTICLE <${token}@soak.test>`);
      const reply = await talk.reply();
      if (reply.code !== 220) lostPosts++;
      else if (!(await talk.expect(/\r\n\.\r\n/, 10_000)).input.includes(`END-OF-${token}`)) lostPosts++;
    }
  }).catch((error: Error) => problems.push(`reading the posts back: ${error.message}`));
  if (lostPosts) problems.push(`${lostPosts} acknowledged posts lost or cut`);
  const groups = join(playground.dataDir, "news", "groups");
  for (const file of filesUnder(groups)) {
    const text = readFileSync(join(groups, file), "latin1");
    const token = /^Message-ID: <(post-[^@]+)@soak\.test>/m.exec(text)?.[1];
    if (token && !text.includes(`END-OF-${token}`)) problems.push(`half-written article visible: ${file}`);
  }

  return {
    playground: restarted,
    outcome: {
      name: `kill -9 round ${round}`,
      figures: { mailsAcked: ackedMail.length, uploadsAcked: ackedUploads.size, postsAcked: ackedPosts.length, lost: lostMail.length + lostUploads + lostPosts },
      problems,
    },
  };
}

export { sha };
