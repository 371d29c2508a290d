// The console's sessions API (servers/console/api.ts, sessions.ts, auth.ts) with the real
// servers and real clients: what Python's smtplib, poplib, ftplib and nntplib do shows up,
// masked exactly as --trace masks it; a student sees only their own; a slow browser costs the
// servers nothing.

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { StoredItem } from "../../servers/activity.ts";
import type { KeptLine, SessionSummary } from "../../servers/console/sessions.ts";
import { SessionStore } from "../../servers/console/sessions.ts";
import { hasPython, runProgram } from "../kit/processes.ts";
import { closedSession, eventually, getJson, startTestConsole, streamedLines, type TestConsole } from "./console-live-kit.ts";

type Full = SessionSummary & { lines: KeptLine[] };

async function python(running: TestConsole, code: string): Promise<string> {
  const result = await runProgram("python3", ["-c", code], {
    env: {
      SMTP_PORT: String(running.mail.ports.submission),
      POP3_PORT: String(running.mail.ports.pop3),
      FTP_PORT: String(running.ftpPort),
      NNTP_PORT: String(running.nntpPort),
    },
    timeoutMs: 30_000,
  });
  if (result.code !== 0) throw new Error(`python failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// What smtplib's login() sends for me@example.com / secret: AUTH PLAIN with base64("\0me@example.com\0secret").
const PLAIN_SECRET = Buffer.from("\0me@example.com\0secret").toString("base64");
const SMTPLIB_SESSION = `
import os, smtplib
s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT']))
s.login('me@example.com', 'secret')
s.sendmail('me@example.com', ['friend@example.org', 'me@example.com'], 'Subject: console test\\r\\n\\r\\nhello from smtplib\\r\\n')
s.quit()
`;

async function full(base: string, id: string, cookie?: string): Promise<Full> {
  const { status, body } = await getJson<{ session: Full }>(base, `/console/api/sessions/${id}`, cookie);
  expect(status).toBe(200);
  return body.session;
}

describe.skipIf(!hasPython)("open console (loopback): every session, masked like --trace", () => {
  let running: TestConsole;
  beforeAll(async () => {
    running = await startTestConsole();
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });

  test("an smtplib session with AUTH: its fields, its lines with the password masked, the relay hop linked to it, the mail stored", async () => {
    await python(running, SMTPLIB_SESSION);
    const smtp = await closedSession(running.base, "smtp");
    expect(smtp).toMatchObject({ protocol: "smtp", port: running.mail.ports.submission, tls: false, account: "me@example.com", how: "QUIT" });
    expect(smtp.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(smtp.bytesIn).toBeGreaterThan(100);
    expect(smtp.bytesOut).toBeGreaterThan(100);
    expect(Date.parse(smtp.ended!)).toBeGreaterThanOrEqual(Date.parse(smtp.started));

    const session = await full(running.base, smtp.id);
    const texts = session.lines.map((line) => `${line.side}: ${line.text}`);
    expect(texts).toContain("C: AUTH PLAIN ******** (masked)\\r\\n");
    expect(texts).toContain("C: hello from smtplib\\r\\n");
    expect(texts.some((text) => text.startsWith("S: 235 "))).toBe(true);
    expect(JSON.stringify(session)).not.toContain(PLAIN_SECRET);
    for (const line of session.lines) expect(Number.isNaN(Date.parse(line.at))).toBe(false);
    // The same masked line --trace prints: one masking path.
    expect(running.trace).toContain(`[smtp ${running.mail.ports.submission} #1] C: AUTH PLAIN ******** (masked)\\r\\n`);

    // The hop to example.org's MX is a session of its own, linked to the one that caused it.
    const hop = await eventually(async () => {
      const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=mx");
      return body.sessions.find((candidate) => candidate.relatedTo === smtp.id);
    }, 5_000, "the relay hop");
    expect(hop.port).toBe(running.mail.ports.mx);
    expect((await full(running.base, hop.id)).lines.some((line) => line.text.startsWith("RCPT TO:<friend@example.org>"))).toBe(true);

    const { body } = await getJson<{ items: StoredItem[] }>(running.base, "/console/api/stored");
    const delivered = body.items.filter((item) => item.kind === "mail-delivered");
    expect(delivered.map((item) => item.owner).sort()).toEqual(["friend@example.org", "me@example.com"]);
    expect(delivered.find((item) => item.owner === "me@example.com")!.sessionId).toBe(smtp.id);
    expect(delivered.find((item) => item.owner === "friend@example.org")!.sessionId).toBe(hop.id);
  });

  test("one session as text and as JSON to download; unknown ids and other methods refused", async () => {
    const smtp = await closedSession(running.base, "smtp");
    const text = await fetch(`${running.base}/console/api/sessions/${smtp.id}.txt`);
    expect(text.headers.get("content-type")).toContain("text/plain");
    expect(text.headers.get("content-disposition")).toBe(`attachment; filename="${smtp.id}.txt"`);
    const body = await text.text();
    expect(body).toContain(`# smtp session ${smtp.id}`);
    expect(body).toMatch(/\n\d\d:\d\d:\d\d\.\d\d\d C: AUTH PLAIN \*\*\*\*\*\*\*\* \(masked\)\\r\\n\n/);
    expect(body).not.toContain(PLAIN_SECRET);
    const json = await fetch(`${running.base}/console/api/sessions/${smtp.id}.json`);
    expect(json.headers.get("content-disposition")).toContain(".json");
    expect(((await json.json()) as { session: Full }).session.id).toBe(smtp.id);

    expect((await getJson(running.base, "/console/api/sessions/smtp-1-nope-1")).status).toBe(404);
    expect((await fetch(`${running.base}/console/api/sessions`, { method: "POST" })).status).toBe(405);
    expect((await getJson(running.base, "/console/api/nothing-here")).status).toBe(404);
  });

  test("filters: protocol, account, text", async () => {
    await python(running, SMTPLIB_SESSION);
    const list = async (query: string) => (await getJson<{ sessions: SessionSummary[] }>(running.base, `/console/api/sessions?${query}`)).body.sessions;
    const all = await list("");
    expect(all.length).toBeGreaterThanOrEqual(3);
    // Newest first.
    const starts = all.map((session) => Date.parse(session.started));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    expect(new Set((await list("protocol=mx")).map((session) => session.protocol))).toEqual(new Set(["mx"]));
    expect((await list("protocol=smtp,mx")).length).toBe(all.filter((s) => s.protocol === "smtp" || s.protocol === "mx").length);
    // The hop to the MX belongs to the account whose session caused it. (The relay keeps its
    // connection to the MX open for the next message: both messages went over one MX session.)
    expect((await list("account=me@example.com")).map((session) => session.protocol).sort()).toEqual(["mx", "smtp", "smtp"]);
    expect(await list("account=nobody@example.com")).toEqual([]);
    const withText = await list("q=hello%20from%20smtplib");
    expect(withText.length).toBeGreaterThanOrEqual(2);
    expect(await list("q=text-that-was-never-sent")).toEqual([]);
  });

  test("GET /console/api/events: a poplib session opens, its lines arrive (PASS masked) and it closes, live", async () => {
    const controller = new AbortController();
    const response = await fetch(`${running.base}/console/api/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let stream = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        stream += value;
      }
    })();
    await python(running, `
import os, poplib
p = poplib.POP3('127.0.0.1', int(os.environ['POP3_PORT']))
p.user('me@example.com'); p.pass_('secret'); p.stat(); p.quit()
`);
    const events = await eventually(() => {
      const parsed = [...stream.matchAll(/event: (\S+)\ndata: (.*)\n\n/g)].map((match) => ({ type: match[1]!, data: JSON.parse(match[2]!) }));
      return parsed.some((event) => event.type === "session-closed" && event.data.protocol === "pop3") ? parsed : undefined;
    }, 5_000, "the pop3 session's events");
    controller.abort();
    await reading;
    const opened = events.find((event) => event.type === "session-opened" && event.data.protocol === "pop3")!;
    const id = opened.data.id as string;
    const mine = events.filter((event) => (event.data.id ?? event.data.sessionId) === id);
    const streamed = streamedLines(stream).filter((line) => line.id === id);
    const lines = streamed.map((line) => `${line.side}: ${line.text}`);
    expect(lines).toContain("C: USER me@example.com\\r\\n");
    expect(lines).toContain("C: PASS ****\\r\\n");
    expect(stream).not.toContain("PASS secret");
    // Each streamed line is the line the session keeps, field for field; a block's lines come in one event.
    const kept = (await full(running.base, id)).lines;
    for (const line of kept) expect(Object.keys(line).filter((key) => key !== "fold").sort()).toEqual(["at", "bytes", "n", "side", "text"]); // no session id in each line
    expect(streamed.length).toBeGreaterThan(5);
    for (const line of streamed) expect(line).toEqual({ id, ...kept.find((one) => one.n === line.n) });
    const blocks = mine.filter((event) => event.type === "lines");
    expect(blocks.length).toBeGreaterThan(0);
    expect(mine.some((event) => event.type === "line")).toBe(false);
    expect(mine.find((event) => event.type === "session-changed")!.data.account).toBe("me@example.com");
    expect(mine.at(-1)).toMatchObject({ type: "session-closed", data: { how: "QUIT" } });
    expect(mine[0]!.type).toBe("session-opened");
  });

  test("FTP: the control session logged in, its data connections linked to it, the stored file reported", async () => {
    await python(running, `
import os, ftplib, io
f = ftplib.FTP()
f.connect('127.0.0.1', int(os.environ['FTP_PORT']))
f.login('me', 'secret')
f.storbinary('STOR console.txt', io.BytesIO(b'line one\\nline two\\n'))
f.retrlines('LIST')
f.quit()
`);
    const ftp = await closedSession(running.base, "ftp");
    expect(ftp).toMatchObject({ account: "me", how: "QUIT" });
    const lines = (await full(running.base, ftp.id)).lines.map((line) => `${line.side}: ${line.text}`);
    expect(lines).toContain("C: PASS ********\\r\\n");
    const data = await eventually(async () => {
      const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=ftp-data");
      const linked = body.sessions.filter((session) => session.relatedTo === ftp.id && session.ended);
      return linked.length === 2 ? linked : undefined;
    }, 5_000, "two data connections");
    const upload = data.find((session) => session.bytesIn > 0)!;
    expect(upload.bytesIn).toBe(18);
    expect((await full(running.base, upload.id)).lines.map((line) => line.text)).toEqual(["line one\\n", "line two\\n"]);
    const listing = data.find((session) => session !== upload)!;
    expect(listing.bytesOut).toBeGreaterThan(0);
    expect((await full(running.base, listing.id)).lines.some((line) => line.side === "S" && line.text.includes("console.txt"))).toBe(true);
    const { body } = await getJson<{ items: StoredItem[] }>(running.base, "/console/api/stored");
    expect(body.items.find((item) => item.kind === "file-stored")).toMatchObject({ owner: "me", ref: "/console.txt", bytes: 18, sessionId: ftp.id });
  });

  test("FTP in active mode (PORT): the data connection the server opens is linked too", async () => {
    await python(running, `
import os, ftplib
f = ftplib.FTP()
f.connect('127.0.0.1', int(os.environ['FTP_PORT']))
f.login('anonymous', 'guest@example.net')
f.set_pasv(False)
f.retrlines('NLST')
f.quit()
`);
    const ftp = await closedSession(running.base, "ftp");
    expect(ftp.account).toBe("anonymous");
    const data = await eventually(async () => {
      const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=ftp-data");
      return body.sessions.find((session) => session.relatedTo === ftp.id && session.ended);
    }, 5_000, "the active data connection");
    expect(data.bytesOut).toBeGreaterThan(0);
    expect((await full(running.base, ftp.id)).lines.some((line) => line.text.startsWith("PORT 127,0,0,1,"))).toBe(true);
  });

  test("NNTP: a posted article is reported with its group; HTTP requests are sessions, the console's own are not", async () => {
    await python(running, `
import os, nntplib, io, warnings
n = nntplib.NNTP('127.0.0.1', int(os.environ['NNTP_PORT']))
n.post(io.BytesIO(b'From: me@example.com\\r\\nNewsgroups: playground.test\\r\\nSubject: console\\r\\n\\r\\nposted\\r\\n'))
n.quit()
`);
    const nntp = await closedSession(running.base, "nntp");
    expect(nntp.how).toBe("QUIT");
    const { body } = await getJson<{ items: StoredItem[] }>(running.base, "/console/api/stored");
    const posted = body.items.find((item) => item.kind === "article-posted")!;
    expect(posted).toMatchObject({ owner: "playground.test", sessionId: nntp.id });
    expect(posted.ref).toMatch(/^<.+>$/);

    await (await fetch(`${running.base}/hello.txt`)).text();
    const http = await closedSession(running.base, "http");
    const lines = (await full(running.base, http.id)).lines.map((line) => `${line.side}: ${line.text}`);
    expect(lines[0]).toBe("C: GET /hello.txt HTTP/1.1\\r\\n");
    expect(lines).toContain("S: HTTP/1.1 200 OK\\r\\n");
    expect(lines).toContain("S: Hello from the Socket Playground!\\n");
    const { body: all } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=http");
    for (const session of all.sessions) {
      const first = (await full(running.base, session.id)).lines[0]!.text;
      expect(first).not.toContain("/console/");
    }
  });
});

describe.skipIf(!hasPython)("the relay hop: one pooled connection to the MX, several submission sessions", () => {
  test("each relayed message links the MX session to the session it came from, and that session to the MX session", async () => {
    const running = await startTestConsole();
    try {
      // Two submission sessions open at once, sending in turn: the relay's pooled connection to
      // the MX, idle after each message, carries all four (the MX sees one session).
      const ports = (await python(running, `
import os, smtplib
first = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])); first.login('me@example.com', 'secret')
second = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])); second.login('me@example.com', 'secret')
for session, subject in [(first, 'one-a'), (second, 'two-a'), (first, 'one-b'), (second, 'two-b')]:
    session.sendmail('me@example.com', ['friend@example.org'], 'Subject: %s\\r\\n\\r\\nrelayed\\r\\n' % subject)
print(first.sock.getsockname()[1], second.sock.getsockname()[1])
first.quit(); second.quit()
`)).trim().split(" ");
      const bySubmission = async (port: string) =>
        eventually(async () => {
          const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=smtp");
          return body.sessions.find((session) => session.client === `127.0.0.1:${port}` && session.ended);
        }, 8_000, `the submission session from port ${port}`);
      const first = await bySubmission(ports[0]!);
      const second = await bySubmission(ports[1]!);
      const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=mx");
      expect(body.sessions.length).toBe(1); // the precondition: one relay connection carried them all
      const hop = await full(running.base, body.sessions[0]!.id);
      expect(hop.lines.filter((line) => line.text.startsWith("MAIL FROM:")).length).toBe(4);

      expect(hop.relatedTo).toBe(first.id);
      expect(hop.causes).toEqual([first.id, second.id]);
      expect((await full(running.base, first.id)).effects).toEqual([hop.id]);
      expect((await full(running.base, second.id)).effects).toEqual([hop.id]);
      const text = await (await fetch(`${running.base}/console/api/sessions/${hop.id}.txt`)).text();
      expect(text).toContain(`# caused by sessions ${first.id}, ${second.id}\n`);
      expect(await (await fetch(`${running.base}/console/api/sessions/${second.id}.txt`)).text()).toContain(`# led to session ${hop.id}\n`);
      // Both sessions were me@example.com's: the hop is theirs (the student login sees it).
      expect(running.console.store.ownerOf(hop.id)).toBe("me@example.com");
    } finally {
      await running.stop();
    }
  });

  test("sent at the same time from two sessions: each MX session names exactly the sessions whose messages it carried", async () => {
    const running = await startTestConsole();
    try {
      const ports = (await python(running, `
import os, smtplib, threading
def send(name, ports):
    s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])); s.login('me@example.com', 'secret')
    ports[name] = s.sock.getsockname()[1]
    for n in range(4):
        s.sendmail('me@example.com', ['friend@example.org'], 'Subject: from-%s-%d\\r\\n\\r\\nrelayed\\r\\n' % (name, n))
    s.quit()
ports = {}
threads = [threading.Thread(target=send, args=(name, ports)) for name in ('first', 'second')]
for t in threads: t.start()
for t in threads: t.join()
print(ports['first'], ports['second'])
`)).trim().split(" ");
      const sessions = async () => (await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions")).body.sessions;
      const bySender = await eventually(async () => {
        const all = await sessions();
        const found = ports.map((port) => all.find((session) => session.protocol === "smtp" && session.client === `127.0.0.1:${port}` && session.ended));
        return found.every(Boolean) ? { first: found[0]!.id, second: found[1]!.id } : undefined;
      }, 8_000, "both submission sessions");
      let carried = 0;
      for (const hop of (await sessions()).filter((session) => session.protocol === "mx")) {
        const lines = (await full(running.base, hop.id)).lines.map((line) => line.text);
        const senders = (["first", "second"] as const).filter((name) => lines.some((text) => text.startsWith(`Subject: from-${name}-`)));
        carried += lines.filter((text) => text.startsWith("Subject: from-")).length;
        expect(new Set(hop.causes)).toEqual(new Set(senders.map((name) => bySender[name])));
      }
      expect(carried).toBe(8);
    } finally {
      await running.stop();
    }
  });

  test("a relay connection that carried mail of two accounts is nobody's: only the teacher sees it", () => {
    const store = new SessionStore();
    const at = new Date().toISOString();
    const open = (id: string, protocol: string) => store.sessionOpened({ id, protocol, port: 1, client: "127.0.0.1:1", tls: false, started: at });
    open("me", "smtp");
    store.sessionChanged({ id: "me", account: "me@example.com" });
    open("you", "smtp");
    store.sessionChanged({ id: "you", account: "you@example.com" });
    open("hop", "mx");
    store.sessionChanged({ id: "hop", relatedTo: "me" });
    store.sessionChanged({ id: "hop", relatedTo: "me" }); // me's second message: no second link
    expect(store.ownerOf("hop")).toBe("me@example.com");
    expect(store.get("hop")!.causes).toEqual(["me"]);
    store.sessionChanged({ id: "hop", relatedTo: "you" });
    expect(store.get("hop")).toMatchObject({ relatedTo: "me", causes: ["me", "you"] });
    expect(store.get("you")!.effects).toEqual(["hop"]);
    expect(store.ownerOf("hop")).toBeUndefined();
    expect(store.get("hop")).not.toHaveProperty("sharedByAccounts");
  });
});

describe("bounded", () => {
  test("the ring keeps the newest maxSessions sessions and at most maxLineBytes of lines", () => {
    const store = new SessionStore({ maxSessions: 3, maxLineBytes: 20_000 });
    const at = new Date().toISOString();
    for (let n = 1; n <= 5; n++) {
      store.sessionOpened({ id: `s${n}`, protocol: "smtp", port: 1, client: "127.0.0.1:1", tls: false, started: at, label: "x" });
      for (let line = 0; line < 100; line++) store.sessionLine({ id: `s${n}`, side: "C", text: "x".repeat(40), bytes: 42, at });
    }
    expect(store.list().map((session) => session.id)).toEqual(["s5", "s4", "s3"]);
    expect(store.get("s1")).toBeUndefined();
    expect(store.usage().lineBytes).toBeLessThanOrEqual(20_000);
    // Every session counts its lines, even those it could not keep.
    for (const session of store.list()) expect(session.lineCount).toBe(100);
    expect(store.get("s5")!.lines.length + store.get("s5")!.linesDropped).toBe(100);
    expect(store.list().some((session) => session.linesDropped > 0)).toBe(true);
  });

  test("through the API: a console with maxSessions 3 lists the last three requests", async () => {
    const running = await startTestConsole({ maxSessions: 3 });
    try {
      for (const path of ["/hello.txt", "/demo.html", "/nope-1", "/nope-2", "/echo"]) await (await fetch(running.base + path)).text();
      const { body } = await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions");
      const first = await Promise.all(body.sessions.map(async (session) => (await full(running.base, session.id)).lines[0]!.text));
      expect(first).toEqual(["GET /echo HTTP/1.1\\r\\n", "GET /nope-2 HTTP/1.1\\r\\n", "GET /nope-1 HTTP/1.1\\r\\n"]);
    } finally {
      await running.stop();
    }
  });
});

describe.skipIf(!hasPython)("beyond loopback: login, CSRF, each student their own", () => {
  let running: TestConsole;
  const TEACHER = "teacher-password-123";
  beforeAll(async () => {
    running = await startTestConsole({ open: false, teacherPassword: TEACHER });
    await python(running, SMTPLIB_SESSION); // me@example.com's session
    await python(running, `
import os, ftplib
f = ftplib.FTP(); f.connect('127.0.0.1', int(os.environ['FTP_PORT'])); f.login('anonymous', 'guest@example.net'); f.quit()
`);
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });

  /** GET /me: the CSRF token and its cookie. */
  async function csrf(): Promise<{ token: string; cookie: string }> {
    const response = await fetch(`${running.base}/console/api/me`);
    const body = (await response.json()) as { csrf: string; loginRequired: boolean; viewer: unknown };
    expect(body).toMatchObject({ loginRequired: true, viewer: null });
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    return { token: body.csrf, cookie: setCookie.split(";")[0]! };
  }

  async function login(user: string, password: string, headers: Record<string, string> = {}) {
    const { token, cookie } = await csrf();
    const response = await fetch(`${running.base}/console/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": token, cookie, ...headers },
      body: JSON.stringify({ user, password }),
    });
    const text = await response.text();
    const session = response.headers.get("set-cookie")?.split(";")[0];
    return { status: response.status, text, cookie: session ? `${cookie}; ${session}` : cookie, token };
  }

  test("nothing without a login; a wrong password is refused", async () => {
    expect((await getJson(running.base, "/console/api/sessions")).status).toBe(401);
    expect((await getJson(running.base, "/console/api/events")).status).toBe(401);
    const wrong = await login("me@example.com", "not-the-password");
    expect(wrong.status).toBe(401);
    expect((await getJson(running.base, "/console/api/sessions", wrong.cookie)).status).toBe(401);
    expect((await login("teacher", "wrong")).status).toBe(401);
  });

  test("a POST without the CSRF token, with a wrong one, or from another site is refused", async () => {
    const { cookie, token } = await csrf();
    const post = (headers: Record<string, string>) =>
      fetch(`${running.base}/console/api/login`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ user: "teacher", password: TEACHER }) });
    expect((await post({ cookie })).status).toBe(403);
    expect((await post({ cookie, "x-csrf-token": token.replace(/.$/, (c) => (c === "a" ? "b" : "a")) })).status).toBe(403);
    expect((await post({ "x-csrf-token": token })).status).toBe(403); // the cookie is missing
    expect((await login("teacher", TEACHER, { origin: "http://evil.example" })).status).toBe(403);
  });

  test("a student sees only their own sessions (and the relay hop theirs caused); the teacher sees all", async () => {
    const student = await login("me@example.com", "secret");
    expect(student.status).toBe(200);
    expect(student.text).not.toContain("secret");
    expect(JSON.parse(student.text).viewer).toEqual({ teacher: false, account: "me@example.com" });
    const mine = (await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions", student.cookie)).body.sessions;
    expect(mine.map((session) => session.protocol).sort()).toEqual(["mx", "smtp"]);
    const ftp = (await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions?protocol=ftp", student.cookie)).body.sessions;
    expect(ftp).toEqual([]);

    const teacher = await login("teacher", TEACHER);
    expect(teacher.status).toBe(200);
    const all = (await getJson<{ sessions: SessionSummary[] }>(running.base, "/console/api/sessions", teacher.cookie)).body.sessions;
    const anonymous = all.find((session) => session.protocol === "ftp")!;
    expect(anonymous.account).toBe("anonymous");
    expect((await getJson(running.base, `/console/api/sessions/${anonymous.id}`, teacher.cookie)).status).toBe(200);
    expect((await getJson(running.base, `/console/api/sessions/${anonymous.id}`, student.cookie)).status).toBe(404);
    expect((await getJson(running.base, `/console/api/sessions/${anonymous.id}.txt`, student.cookie)).status).toBe(404);

    // Logging out needs the CSRF token too, then the cookie is worth nothing.
    expect((await fetch(`${running.base}/console/api/logout`, { method: "POST", headers: { cookie: student.cookie } })).status).toBe(403);
    const out = await fetch(`${running.base}/console/api/logout`, { method: "POST", headers: { cookie: student.cookie, "x-csrf-token": student.token } });
    expect(out.status).toBe(200);
    expect((await getJson(running.base, "/console/api/sessions", student.cookie)).status).toBe(401);
  });
});

describe.skipIf(!hasPython)("a slow browser never slows a server", () => {
  test("an event stream nobody reads: the SMTP server goes on at full speed, that viewer's events are dropped and it is told", async () => {
    const running = await startTestConsole();
    try {
      // A "browser" with a tiny receive buffer that stops reading after its request.
      const reader = spawn("python3", ["-u", "-c", `
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('127.0.0.1', int(os.environ['HTTP_PORT'])))
s.sendall(b'GET /console/api/events HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n')
print('waiting', flush=True)
sys.stdin.readline()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)  # now read fast
s.settimeout(3)
data = b''
try:
    while b'event: dropped' not in data:
        chunk = s.recv(1 << 20)
        if not chunk: break
        data += chunk
except socket.timeout:
    pass
print('DROPPED' if b'event: dropped' in data else 'NOT DROPPED', len(data), flush=True)
`], { env: { ...process.env, HTTP_PORT: String(running.httpPort) } });
      let output = "";
      reader.stdout.on("data", (chunk) => (output += chunk));
      reader.stderr.on("data", (chunk) => (output += chunk));
      await eventually(() => (output.includes("waiting") ? true : undefined), 5_000, "the reader");

      // 12,000 commands with long arguments: ~5 MB of events, more than the kernel's buffers hold.
      const sent = await python(running, `
import os, smtplib
s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT']))
s.login('me@example.com', 'secret')
for n in range(12000):
    s.docmd('NOOP', '%05d %s' % (n, 'x' * 190))
s.quit()
print('sent all')
`);
      expect(sent).toContain("sent all");
      // Meanwhile a new client is still greeted at once.
      const greeted = await python(running, `
import os, smtplib
s = smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT']), timeout=5)
print(s.noop()[0]); s.quit()
`);
      expect(greeted.trim()).toBe("250");
      reader.stdin.write("read now\n");
      await eventually(() => (/DROPPED|NOT DROPPED/.test(output) ? true : undefined), 60_000, `the reader's verdict (so far: ${output})`);
      console.log(`slow reader: ${output.trim().split("\n").at(-1)}`);
      expect(output).toMatch(/^DROPPED \d+/m);
      // What it got before the notice is bounded: less than the ~5 MB the session's events would have been.
      const got = Number(/DROPPED (\d+)/.exec(output)![1]);
      expect(got).toBeLessThan(4_500_000);
      reader.kill();
    } finally {
      await running.stop();
    }
  }, 90_000);
});
