// Lesson 11 — your exercise. Replace the todo(...) calls with your own code, then run:
//   npm test -- 11
// Stuck? npm run hint 11

import { todo } from "../not-implemented.ts";

export interface FtpJob {
  host: string;
  port: number; // the control connection's port: 21 on the internet, 2121 in the playground
  user: string; // "anonymous" for a public server
  password: string; // for anonymous: your e-mail address, by tradition
  directory: string; // CWD here first
  file: string; // then RETR this file (a name inside `directory`)
}

export interface FtpResult {
  listing: string; // what LIST sent over its data connection, as text
  file: Buffer; // the exact bytes of the file
}

/**
 * Step 1 (no network): read a PASV reply.
 *
 *   parsePasvReply("227 Entering Passive Mode (127,0,0,1,117,48).")
 *     → { host: "127.0.0.1", port: 30000 }
 *
 * The six numbers are the four bytes of the address and the two bytes of the port, high
 * byte first. Servers word the text around them differently ("227 =127,0,0,1,117,48" is
 * fine too), so look for the six numbers anywhere. No six numbers: throw an Error.
 */
export function parsePasvReply(reply: string): { host: string; port: number } {
  todo("parsePasvReply");
}

/**
 * Step 2: a minimal FTP client on node:net — no FTP library (the checker reads this file).
 *
 * On the control connection (job.host, job.port), one command line at a time, each ending
 * in "\r\n", each answered by one reply:
 *   read the greeting (220) → USER (331) → PASS (230) → CWD directory (250) → TYPE I (200)
 *   then LIST and RETR file, each over its own passive data connection:
 *     PASV (227) → connect to job.host at the port from the reply → LIST or RETR (150)
 *     → read the data connection until its FIN AND read the 226 reply: wait for both
 *   → QUIT (221).
 *
 * Replies may span several lines: "230-Welcome" … "230 Logged in". A reply is complete at
 * the line that starts with its code and a space. Replies arrive in pieces of any size.
 * Any unexpected reply code (530 wrong password, 550 no such file…) rejects the promise
 * with an Error that contains the server's reply, e.g. "530 Login incorrect." — never hang.
 */
export async function listAndDownload(job: FtpJob): Promise<FtpResult> {
  todo("listAndDownload");
}
