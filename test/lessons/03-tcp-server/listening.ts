// Test helpers for lesson 03: where a server really listens, and bytes cut exactly where we say.

import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

/** A port that was free a moment ago on `host` (listen on 0, read the port back, close). */
export async function freePort(host: string): Promise<number> {
  const probe = net.createServer().listen(0, host);
  await once(probe, "listening");
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

/** Whether this machine can listen on `host` at all (IPv6 loopback is missing in some containers). */
export async function canListenOn(host: string): Promise<boolean> {
  try {
    await freePort(host);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fails unless `server` listens on exactly host:port, with a message that says where it listens
 * instead. `server.address()` is the address the system actually bound, not what the code meant.
 */
export function expectListensOn(server: net.Server, host: string, port: number, call: string): void {
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`after ${call} resolved, server.address() is ${JSON.stringify(address)}: the server is not listening on a TCP port yet`);
  }
  const where = address.family === "IPv6" ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  if (address.port !== port) {
    throw new Error(
      `your server listens on ${where}, not on the port you were given (${port}) — after ${call}. ` +
        "Pass the port argument to listen(): the checks (and whoever starts your server) choose the port.",
    );
  }
  if (address.address !== host) {
    const everywhere = address.address === "0.0.0.0" || address.address === "::";
    throw new Error(
      `your server listens on ${where}, not on ${host} as it was asked — after ${call}. Pass the host argument ` +
        `to listen()${everywhere ? `; ${address.address} means every interface, so anyone on your network could connect` : ""}.`,
    );
  }
}

/** Rejects with `late` if `promise` has not settled within `seconds`. */
export function withinSeconds<T>(seconds: number, promise: Promise<T>, lateError: Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(lateError), seconds * 1000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Writes `pieces` from `client`, each only after `atServer` (the server's end of the same
 * connection) has read every byte before it: so each piece reaches the server's code as a
 * 'data' event of its own, whatever the load on the machine.
 */
export async function sendInPieces(client: net.Socket, atServer: net.Socket, pieces: Buffer[]): Promise<void> {
  client.setNoDelay(true); // no waiting to glue small writes together
  let expected = atServer.bytesRead;
  for (const piece of pieces) {
    client.write(piece);
    expected += piece.length;
    for (let waited = 0; atServer.bytesRead < expected; waited += 5) {
      if (waited > 3000 || atServer.destroyed) {
        throw new Error(`the server read only ${atServer.bytesRead} of the ${expected} bytes sent so far`);
      }
      await sleep(5);
    }
  }
}
