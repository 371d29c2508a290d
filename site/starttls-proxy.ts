// A recording proxy that can read a conversation after STARTTLS — for the transcripts of
// clients that upgrade to TLS (imapflow in lesson 16 does, as every real mail client does).
//
//   client ──TCP──▶ proxy ──TCP──▶ server                 until the server's "<tag> OK" to STARTTLS
//   client ══TLS══▶ proxy ══TLS══▶ server                 after it: two TLS sessions, not one
//
// Until STARTTLS it passes every byte through unchanged and records it, as servers/hostile-proxy.ts
// does with the friendly profile. When the client has sent `<tag> STARTTLS` and the server has
// answered `<tag> OK`, the proxy does the TLS handshake itself on both legs: towards the client as
// the server (with the playground's certificate AND ITS PRIVATE KEY — which is the only reason it
// can), towards the server as a client. What crosses between the two is the decrypted
// conversation: recorded, then encrypted again. This is a "man in the middle", and it is exactly
// what TLS stops anyone from doing who does not hold the server's key (lesson 08): an eavesdropper
// on the wire sees only TLS records after the "OK".
//
// For transcripts only: test certificate, loopback, one client at a time.

import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import type { Side, Transcript } from "../servers/transcript.ts";

export interface StartTlsProxyOptions {
  targetPort: number;
  /** The certificate the server presents (PEM): the proxy presents it too, and trusts the server by it. */
  cert: string;
  /** Its private key (PEM): the playground's test key, which is public anyway. */
  key: string;
  /** The name in the certificate that the client checks ("localhost"). */
  servername: string;
  newTranscript: () => Transcript;
}

/** What the recording shows where the two TLS handshakes happened. */
export const TLS_NOTE = "TLS handshake (STARTTLS): from here on the wire carries encrypted records; shown decrypted by the recording proxy, which holds the playground's key";

export async function startStartTlsProxy(options: StartTlsProxyOptions): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const transcript = options.newTranscript();
    const upstream = net.connect({ port: options.targetPort, host: "127.0.0.1", allowHalfOpen: true });
    track(client);
    track(upstream);
    const broken = (side: Side) => (err: Error) => {
      transcript.note(side, `connection broken: ${err.message}`);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", broken("C"));
    upstream.on("error", broken("S"));

    // The plain part: bytes pass as they are. The client's last line tells whether it asked for TLS.
    let startTlsTag: string | undefined;
    const fromClient = relay(client, upstream, "C", transcript, (chunk) => {
      startTlsTag = /(?:^|\n)(\S+) STARTTLS\r\n$/i.exec(chunk.toString("latin1"))?.[1];
    });
    const fromServer = relay(upstream, client, "S", transcript, (chunk) => {
      // RFC 3501 §6.2.1: after "<tag> OK" to STARTTLS, the next byte from the client starts the handshake.
      if (startTlsTag === undefined || !chunk.toString("latin1").startsWith(`${startTlsTag} OK`)) return false;
      fromClient.stop();
      fromServer.stop();
      client.write(chunk); // the OK itself still goes in clear
      transcript.note("C", TLS_NOTE);
      const clientTls = new tls.TLSSocket(client, { isServer: true, key: options.key, cert: options.cert });
      const serverTls = tls.connect({ socket: upstream, ca: options.cert, servername: options.servername });
      clientTls.on("error", broken("C"));
      serverTls.on("error", broken("S"));
      relay(clientTls, serverTls, "C", transcript);
      relay(serverTls, clientTls, "S", transcript);
      return true;
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * One direction: record each chunk, pass it on; a FIN is recorded and passed on as a FIN.
 * `look` sees each chunk first; when it returns true it has taken care of the chunk itself.
 */
function relay(from: net.Socket, to: net.Socket, side: Side, transcript: Transcript, look?: (chunk: Buffer) => boolean | void): { stop(): void } {
  const onData = (chunk: Buffer) => {
    transcript.data(side, chunk);
    if (look?.(chunk) === true) return;
    to.write(chunk);
  };
  const onEnd = () => {
    transcript.note(side, "FIN: no more data from this side");
    to.end();
  };
  from.on("data", onData);
  from.on("end", onEnd);
  return {
    stop() {
      from.off("data", onData);
      from.off("end", onEnd);
    },
  };
}
