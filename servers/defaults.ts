// The playground's default ports and demo accounts, in a module that loads nothing else.
// npm start's main thread (playground.ts, supervisor.ts) needs them for its flags and banner;
// taking them from a server's own module would load that server's whole code there (smtp-server,
// ftp-srv, …), for nothing, before any worker starts: each server runs on its own worker thread
// and loads its code there (supervisor.ts). The servers' modules re-export them.

/** Submission, MX, SMTPS, POP3, POP3S, IMAP, IMAPS (servers/mail/index.ts). */
export const DEFAULT_MAIL_PORTS = { submission: 2525, mx: 2526, smtps: 4650, pop3: 1110, pop3s: 9950, imap: 1143, imaps: 9930 };

export const DEFAULT_FTP_PORT = 2121;
export const DEFAULT_FTP_ACCOUNTS = [{ user: "me", password: "secret" }];
/**
 * Room for V8's old generation on the FTP server's thread, in MB (V8's --initial-old-space-size,
 * set for that thread alone: supervisor.ts, "The FTP thread's heap"). Without it an upload ran
 * V8's full garbage collection every ~20 MB; 16 and 32 did not stop that, 64 did (measured with
 * --trace-gc on 2026-12-02; the FTP bench, test/bench/ftp.ts).
 */
export const FTP_INITIAL_OLD_SPACE_MB = 64;

export const DEFAULT_NNTP_PORT = 1119;
/** For the optional AUTHINFO USER/PASS (demo only — everyone knows this password). */
export const DEFAULT_NEWS_ACCOUNTS = [{ user: "me", password: "secret" }];
