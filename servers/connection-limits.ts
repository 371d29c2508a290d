// How many connections a server holds at once: per client address, and in total.
//
// Every open connection costs the server a file descriptor and some memory, and the process has
// only so many descriptors (often 1024). Without a cap, one client that opens connections in a
// loop (a learner's bug as often as an attack) locks everybody else out. With one, that client
// gets a clear refusal — SMTP "421" (RFC 5321 §3.8), HTTP "503" (RFC 9110 §15.6.4) — and the
// rest of the class carries on. The SMTP servers and the HTTP demo count their connections here.

import type net from "node:net";

export interface ConnectionCaps {
  /** Connections one client address may hold at once. */
  perAddress: number;
  /** Connections the server holds at once, from everybody. */
  total: number;
}

export class ConnectionLimits {
  private readonly byAddress = new Map<string, number>();
  private open = 0;

  constructor(readonly caps: ConnectionCaps) {}

  /**
   * Counts `socket` in (until it closes) and returns null, or returns why it is refused; a
   * refused socket is not counted, and the caller answers and closes it.
   */
  admit(socket: net.Socket): string | null {
    const address = socket.remoteAddress ?? "unknown";
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.caps.perAddress) return `too many connections from ${address} (at most ${this.caps.perAddress} at once): close one and try again`;
    if (this.open >= this.caps.total) return `too many connections (at most ${this.caps.total} at once): try again in a moment`;
    this.byAddress.set(address, mine + 1);
    this.open++;
    socket.once("close", () => {
      this.open--;
      const left = this.byAddress.get(address)! - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
    });
    return null;
  }
}
