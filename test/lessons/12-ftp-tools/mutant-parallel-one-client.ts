// Wrong answer: parallel downloads on one shared client
// Starts every download at once on ONE client. FTP has one control connection
// per session and basic-ftp runs one task at a time on it: the second download fails at once
// ("User launched a task while another one is still running").
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "basic-ftp";

export async function downloadAll(
  connect: () => Promise<Client>,
  remoteDir: string,
  names: string[],
  localDir: string,
  limit: number,
): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const client = await connect();
  try {
    const batch = names.slice(0, limit);
    await Promise.all(batch.map((name) => client.downloadTo(join(localDir, name), `${remoteDir}/${name}`)));
    for (const name of names.slice(limit)) await client.downloadTo(join(localDir, name), `${remoteDir}/${name}`);
  } finally {
    client.close();
  }
}
