// How many connections a server holds at once: per client address, and in total.
//
// Every open connection costs the server a file descriptor and some memory, and the process has
// only so many descriptors (often 1024). Without a cap, one client that opens connections in a
// loop (a learner's bug as often as an attack) locks everybody else out. With one, that client
// gets a clear refusal — SMTP "421" (RFC 5321 §3.8), HTTP "503" (RFC 9110 §15.6.4) — and the
// rest of the class carries on. Every server counts its connections here: SMTP, HTTP, FTP, and
// POP3, IMAP and NNTP through the session layer (session.ts).

import type net from "node:net";

export interface ConnectionCaps {
  /** Connections one client address may hold at once. */
  perAddress: number;
  /** Connections the server holds at once, from everybody. */
  total: number;
}

/** Which cap a refused connection hit. */
export interface Refusal {
  cap: "perAddress" | "total";
  limit: number;
  address: string;
}

export class ConnectionLimits {
  private readonly byAddress = new Map<string, number>();
  private open = 0;

  constructor(readonly caps: ConnectionCaps) {}

  /**
   * Counts `socket` in (until it closes) and returns null, or returns which cap it hit; a
   * refused socket is not counted, and the caller answers in its protocol's words and closes it.
   */
  take(socket: net.Socket): Refusal | null {
    // An IPv4 client reaching an IPv6 listener shows as ::ffff:127.0.0.1: the same client.
    const address = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.caps.perAddress) return { cap: "perAddress", limit: this.caps.perAddress, address };
    if (this.open >= this.caps.total) return { cap: "total", limit: this.caps.total, address };
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

  /** take(), with the refusal in words (SMTP and HTTP put them after their code). */
  admit(socket: net.Socket): string | null {
    const refusal = this.take(socket);
    if (!refusal) return null;
    return refusal.cap === "perAddress"
      ? `too many connections from ${refusal.address} (at most ${refusal.limit} at once): close one and try again`
      : `too many connections (at most ${refusal.limit} at once): try again in a moment`;
  }
}
