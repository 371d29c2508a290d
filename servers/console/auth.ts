// Who may look at the console (issue 16, item 6).
//
// On loopback the console is open: only this machine can reach it, so whoever looks is the
// teacher. Beyond loopback (npm start -- --host 0.0.0.0, a classroom) it asks for a login:
//   - the teacher password (config.json "consolePassword", or made up at start and printed in
//     the banner) sees everything;
//   - any playground account (mail address, FTP user, news user, with its password) sees only
//     its own sessions and its own mailbox: a student can watch their own client's conversation.
//
// How the login is kept, the way web frameworks do it:
//   - a random session token in a cookie with HttpOnly (no script on the page can read it) and
//     SameSite=Strict (the browser sends it only with requests that come from our own pages);
//   - every request that changes something (login, logout: POST) must also carry a CSRF token
//     in an X-CSRF-Token header: another site can make a browser send a form to us, but it
//     cannot read our token (from GET /console/api/me) to put in the header. The token is
//     "double-submitted": it must equal the one in our own HttpOnly cookie.
//   - no password is ever sent back to the page; the page knows only the account's name.

import { randomBytes } from "node:crypto";
import type http from "node:http";
import { sameSecret } from "../session.ts";
import type { Viewer } from "./viewer.ts";
import { sendJson } from "./json.ts";

export interface AuthOptions {
  /** true on loopback: everyone is the teacher, no login. */
  open: boolean;
  /** The teacher's password (beyond loopback). */
  teacherPassword?: string;
  /** A playground account's login: the account's name (address or user), or null if wrong. */
  verify?: (user: string, password: string) => string | null;
}

const SESSION_COOKIE = "console_session";
const CSRF_COOKIE = "console_csrf";
const SESSION_HOURS = 12;
const MAX_LOGINS = 1_000;
/** A wrong password is answered after this long, so guessing is slow. */
const WRONG_PASSWORD_DELAY_MS = 500;

interface Login {
  viewer: Viewer;
  expires: number;
}

export class ConsoleAuth {
  private readonly logins = new Map<string, Login>();

  constructor(private readonly options: AuthOptions) {}

  get loginRequired(): boolean {
    return !this.options.open;
  }

  /** Who sent this request: the teacher on loopback, the logged-in viewer, or null. */
  viewerOf(request: http.IncomingMessage): Viewer | null {
    if (this.options.open) return { teacher: true };
    const token = cookies(request)[SESSION_COOKIE];
    const login = token ? this.logins.get(token) : undefined;
    if (!login) return null;
    if (login.expires < Date.now()) {
      this.logins.delete(token!);
      return null;
    }
    return login.viewer;
  }

  /** Answers /console/api/me, /console/api/login, /console/api/logout; false for any other path. */
  async handle(request: http.IncomingMessage, response: http.ServerResponse, path: string): Promise<boolean> {
    if (path === "/console/api/me") return this.me(request, response);
    if (path !== "/console/api/login" && path !== "/console/api/logout") return false;
    if (request.method !== "POST") return sendJson(response, 405, { error: `${path} takes POST` }, { Allow: "POST" });
    const refusal = csrfRefusal(request);
    if (refusal) return sendJson(response, 403, { error: refusal });
    if (path === "/console/api/logout") {
      const token = cookies(request)[SESSION_COOKIE];
      if (token) this.logins.delete(token);
      return sendJson(response, 200, { viewer: null }, { "Set-Cookie": cookie(SESSION_COOKIE, "", 0) });
    }
    if (this.options.open) return sendJson(response, 200, { viewer: { teacher: true } });
    const form = await readForm(request).catch(() => null);
    if (!form) return sendJson(response, 400, { error: "send JSON like {\"user\": \"me@example.com\", \"password\": \"…\"}" });
    const viewer = this.check(form.user, form.password);
    if (!viewer) {
      await new Promise((resolve) => setTimeout(resolve, WRONG_PASSWORD_DELAY_MS));
      return sendJson(response, 401, { error: "wrong user name or password (the teacher password, or a playground account)" });
    }
    const token = randomBytes(24).toString("base64url");
    this.logins.set(token, { viewer, expires: Date.now() + SESSION_HOURS * 3_600_000 });
    while (this.logins.size > MAX_LOGINS) this.logins.delete(this.logins.keys().next().value!);
    return sendJson(response, 200, { viewer }, { "Set-Cookie": cookie(SESSION_COOKIE, token, SESSION_HOURS * 3600) });
  }

  private check(user: string, password: string): Viewer | null {
    const teacher = this.options.teacherPassword;
    if ((user === "" || user === "teacher") && teacher && sameSecret(password, teacher)) return { teacher: true };
    const account = user !== "" ? this.options.verify?.(user, password) : null;
    return account ? { teacher: false, account } : null;
  }

  /** Who am I, and the CSRF token the page must send with each POST (made here, kept in a cookie). */
  private me(request: http.IncomingMessage, response: http.ServerResponse): true {
    let csrf = cookies(request)[CSRF_COOKIE];
    const headers: Record<string, string> = {};
    if (!csrf || !/^[\w-]{20,}$/.test(csrf)) {
      csrf = randomBytes(24).toString("base64url");
      headers["Set-Cookie"] = cookie(CSRF_COOKIE, csrf, SESSION_HOURS * 3600);
    }
    return sendJson(response, 200, { viewer: this.viewerOf(request), loginRequired: this.loginRequired, csrf }, headers);
  }
}

/** Why a POST is refused as a possible cross-site request, or null when it is our own page's. */
function csrfRefusal(request: http.IncomingMessage): string | null {
  // A browser says where a request comes from; a page of another site never matches our host.
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}` && origin !== `https://${request.headers.host}`) {
    return `cross-site request refused (Origin ${origin})`;
  }
  const sent = request.headers["x-csrf-token"];
  const expected = cookies(request)[CSRF_COOKIE];
  if (typeof sent !== "string" || !expected || !sameSecret(sent, expected)) {
    return "missing or wrong CSRF token: send the token from GET /console/api/me in an X-CSRF-Token header";
  }
  return null;
}

function cookies(request: http.IncomingMessage): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) jar[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return jar;
}

function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/console/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict`;
}

/** The login form: JSON {user, password} or an HTML form's urlencoded body; at most 4 KB. */
async function readForm(request: http.IncomingMessage): Promise<{ user: string; password: string }> {
  let body = "";
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 4096) throw new Error("too long");
  }
  const type = request.headers["content-type"] ?? "";
  const fields: Record<string, unknown> = type.includes("application/x-www-form-urlencoded")
    ? Object.fromEntries(new URLSearchParams(body))
    : (JSON.parse(body) as Record<string, unknown>);
  const user = typeof fields.user === "string" ? fields.user.trim() : "";
  if (typeof fields.password !== "string") throw new Error("no password");
  return { user, password: fields.password };
}

