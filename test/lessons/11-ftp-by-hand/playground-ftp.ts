// The playground's FTP server for the lesson 11 and 12 checks: a fresh data folder per
// check (seeded with the sample tree, with a small "big" file), on a port the system
// picks, with the network under test in front of its control connection.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFtpServer } from "../../../servers/ftp/server.ts";
import type { Network } from "../../kit/checker.ts";
import type { TcpFaults } from "../../../servers/hostile-proxy.ts";

export const SMALL_BIG_FILE_BYTES = 300_000;

export interface PlaygroundFtp {
  port: number; // connect here: the network under test, then the server
  directPort: number; // the server itself, for the spec's own set-up
  dataDir: string;
  pubDir: string; // what anonymous sees as "/"
}

export async function startPlaygroundFtp(network: Network, faults?: Partial<TcpFaults>): Promise<PlaygroundFtp> {
  const dataDir = mkdtempSync(join(tmpdir(), "ftp-lesson-"));
  const server = await startFtpServer({ dataDir, port: 0, bigFileBytes: SMALL_BIG_FILE_BYTES });
  network.defer(() => rmSync(dataDir, { recursive: true, force: true }));
  network.defer(() => server.close());
  return { port: await network.tcp(server.port, faults), directPort: server.port, dataDir, pubDir: join(dataDir, "ftp", "pub") };
}
