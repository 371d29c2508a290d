// Lesson 03 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 03
// Stuck? npm run hint 03

import net from "node:net";
import { todo } from "../not-implemented.ts";

/**
 * Start the greeting server on `port` (0: any free port) and `host` (default "127.0.0.1").
 * Resolve with the net.Server once it is listening — the checks read server.address().
 *
 * The protocol is made of lines. The server ends every line it sends with "\r\n"; a client's
 * line ends with "\n" or "\r\n" (remove either before you look at the line):
 *
 *   S: Welcome!\r\n            as soon as a client connects
 *   C: Michael\n
 *   S: Hello, Michael!\r\n     one answer per line, in order
 *   C: \n                      a blank line gets no answer
 *   C: exit\n
 *   S: Bye!\r\n                then the server ends the connection (FIN)
 *
 * What the network may do to you (the checks do all of it):
 * - A line can arrive in several pieces ("Mich" + "ael\n"), and one piece can hold several
 *   lines ("Tracy\nSarah\n"). Answer whole lines, never pieces. Names may be UTF-8 (张三).
 * - Many clients connect at once. Each one gets its own conversation.
 * - A client may half-close (FIN) after its last line, and still read the answers. If its
 *   last line has no "\n" when the FIN comes, answer that line too, then end your side.
 * - A client may reset the connection or vanish. That must not crash the server.
 */
export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  todo("startGreetingServer");
}
