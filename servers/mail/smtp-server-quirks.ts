// Where smtp-server (the library under servers/mail/smtp.ts) needs a repair, and why. Importing
// this file applies every repair once; smtp.ts imports it first.
//
// 1. A pipelined QUIT after two messages was never answered (issue 13, break 7).
//    A client that does not wait for the 354 (a lesson-07 learner's first client does exactly
//    that) may send "MAIL, RCPT, DATA, message 1, MAIL, RCPT, DATA, message 2, QUIT" in one
//    write. smtp-server's parser (SMTPStream) keeps what follows a message's "." in a callback
//    and runs it from continue() once the message has been answered. continue() ran that
//    callback BEFORE clearing it, and the callback can run synchronously all the way into the
//    next message's "." — which stores the callback for what follows (here: QUIT). continue()
//    then cleared the NEW callback: "QUIT" was lost, and the client heard nothing until the
//    idle timeout's "421 Timeout" 60 seconds later. The repair takes the callback off first and
//    then runs it, so a callback stored meanwhile survives.
//
// 2. MAIL FROM / RCPT TO parameters the server never offered were accepted with 250 (issue 17).
//    "MAIL FROM:<a@b> FOO=BAR" or "RET=HDRS" (a DSN parameter, but DSN is not in our EHLO) were
//    silently ignored, so a client asking for something it will not get believed it had it.
//    RFC 5321 §4.1.1.11: a parameter the server does not recognize or implement is answered
//    "555 5.5.4". A parameter is ours only if EHLO offered its extension, so the list below is
//    built from the same options smtp-server's EHLO handler reads: SIZE (RFC 1870), BODY
//    (8BITMIME, RFC 6152), SMTPUTF8 (RFC 6531), REQUIRETLS inside TLS (RFC 8689), AUTH= (RFC 4954
//    §5, where AUTH is offered), and RET/ENVID/NOTIFY/ORCPT only if DSN (RFC 3461) were offered.
//    After HELO (not EHLO) nothing was offered at all. The repair checks the parameter names
//    before the library's own MAIL and RCPT handlers, which still check the values.
//
// 3. Every connection that used STARTTLS kept its place in the connection count for good (issue 13,
//    found by the class simulation, test/soak/class.ts). Before it wraps the plain socket in TLS,
//    smtp-server calls removeAllListeners() on it, and that took our own "close" listeners along:
//    the one that gives the connection's place back (servers/connection-limits.ts), and those that
//    forget it in smtp.ts's socket list and transcripts. The socket still closes (Node closes the
//    plain socket under the TLS socket), but nobody heard it: after 1,000 STARTTLS sessions — five
//    minutes of a class of 30 — the submission server greeted everyone with "421 too many
//    connections". keepCloseListeners() puts the "close" listeners that were there before
//    smtp-server got the socket back after each removeAllListeners().

import type net from "node:net";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { SMTPStream } from "smtp-server/lib/smtp-stream.js";

// --- 1. continue() after a message -----------------------------------------------------------

SMTPStream.prototype.continue = function continueAfterMessage(this: SMTPStream): void {
  const resume = this._continueCallback;
  if (typeof resume === "function") {
    this._continueCallback = false; // first: `resume` may store the next message's callback
    resume();
  } else {
    this._continueCallback = true; // the message is not over yet: resume as soon as it is
  }
};

// --- 2. parameters EHLO did not offer get 555 ------------------------------------------------

/** The MAIL FROM (or RCPT TO) parameters this connection's EHLO offered, upper case. */
function offeredParameters(connection: SMTPConnection, command: "MAIL" | "RCPT"): string[] {
  if (connection.openingCommand !== "EHLO") return []; // HELO: no service extensions (RFC 5321 §4.1.1.1)
  const options = connection._server.options;
  const offered: string[] = [];
  if (command === "MAIL") {
    if (options.size) offered.push("SIZE");
    if (!options.hide8BITMIME) offered.push("BODY");
    if (!options.hideSMTPUTF8) offered.push("SMTPUTF8");
    if (connection.secure && !options.hideREQUIRETLS) offered.push("REQUIRETLS");
    if (options.authMethods.length > 0 && connection._isSupported("AUTH")) offered.push("AUTH");
    if (!options.hideDSN) offered.push("RET", "ENVID");
  } else if (!options.hideDSN) {
    offered.push("NOTIFY", "ORCPT");
  }
  return offered;
}

for (const [command, name] of [["MAIL", "mail from"], ["RCPT", "rcpt to"]] as const) {
  const handler = command === "MAIL" ? "handler_MAIL" : "handler_RCPT";
  const original = SMTPConnection.prototype[handler];
  SMTPConnection.prototype[handler] = function checkParameters(this: SMTPConnection, line: Buffer, callback: () => void): void {
    const parsed = this._parseAddressCommand(name, line);
    const offered = offeredParameters(this, command);
    const unknown = parsed && parsed.args ? Object.keys(parsed.args).filter((key) => !offered.includes(key)) : [];
    if (unknown.length === 0) return original.call(this, line, callback); // syntax and values: the library's checks
    const what = command === "MAIL" ? "MAIL FROM" : "RCPT TO";
    const offers = offered.length > 0 ? `this server offers ${offered.join(" ")}` : `${what} takes no parameters here`;
    this.send(555, `5.5.4 ${what} parameter not supported: ${unknown.join(" ")} (${offers})`, false);
    callback();
  };
}

// --- 3. STARTTLS must not take our "close" listeners away ------------------------------------

/** Call before handing `socket` to smtp-server: its "close" listeners so far survive STARTTLS. */
export function keepCloseListeners(socket: net.Socket): void {
  const ours = socket.listeners("close") as ((...args: unknown[]) => void)[];
  const removeAll = socket.removeAllListeners.bind(socket);
  socket.removeAllListeners = (event?: string | symbol) => {
    removeAll(event);
    if (event === undefined || event === "close") for (const listener of ours) socket.once("close", listener);
    return socket;
  };
}
