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

import { SMTPStream } from "smtp-server/lib/smtp-stream.js";

SMTPStream.prototype.continue = function continueAfterMessage(this: SMTPStream): void {
  const resume = this._continueCallback;
  if (typeof resume === "function") {
    this._continueCallback = false; // first: `resume` may store the next message's callback
    resume();
  } else {
    this._continueCallback = true; // the message is not over yet: resume as soon as it is
  }
};
