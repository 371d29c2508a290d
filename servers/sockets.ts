// Socket plumbing the hand-written servers share (POP3, NNTP) and the hostile proxy uses too:
// opening a listening socket, and waiting when a peer reads more slowly than we write.

import net from "node:net";

/** A server that listens: its real port (when 0 was asked for, the one the system chose). */
export interface Listening {
  port: number;
  /** Stops listening AND ends every open connection: net.Server.close() alone waits for them. */
  close(): Promise<void>;
}

/**
 * Starts `listener` on host:port and keeps track of its connections. A listen error
 * (EADDRINUSE: another program has the port; EACCES: below 1024 without root) rejects with
 * the original error, its `.port` set so that the playground can name the flag to change.
 */
export async function listen(listener: net.Server, port: number, host: string): Promise<Listening> {
  const connections = new Set<net.Socket>();
  // The raw TCP connection: destroying it also ends a TLS session running on top of it.
  listener.on("connection", (socket: net.Socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", (err: NodeJS.ErrnoException & { port?: number }) => {
      err.port = port;
      reject(err);
    });
    listener.listen(port, host, resolve);
  });
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }),
  };
}

/**
 * Waits until `socket` can take more data: write() returned false because the peer reads
 * more slowly than we send (backpressure), so we pause until 'drain' — or until the
 * connection is gone, which would never drain.
 */
export function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
