// Wrong answer: parallel downloads without a limit (one client per file)
// Starts one client per file, all at once. Fine for 6 files; for 600 it opens
// 600 control connections, and the server (or its admin) refuses most of them.
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "basic-ftp";

export async function downloadAll(
  connect: () => Promise<Client>,
  remoteDir: string,
  names: string[],
  localDir: string,
  limit: number, // the mistake: never looked at
): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const queue = [...names];
  async function worker(): Promise<void> {
    const client = await connect();
    try {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await client.downloadTo(join(localDir, name), `${remoteDir}/${name}`);
      }
    } finally {
      client.close();
    }
  }
  const workers = Math.max(1, names.length); // every file at once
  await Promise.all(Array.from({ length: workers }, () => worker()));
}
