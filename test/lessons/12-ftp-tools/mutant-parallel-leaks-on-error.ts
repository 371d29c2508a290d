// Wrong answer: closes its clients only when every download worked (a failed download leaves them open)
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "basic-ftp";

export async function downloadAll(connect: () => Promise<Client>, remoteDir: string, names: string[], localDir: string, limit: number): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const queue = [...names];
  async function worker(): Promise<void> {
    const client = await connect();
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await client.downloadTo(join(localDir, name), `${remoteDir}/${name}`);
    }
    client.close();
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, names.length)) }, () => worker()));
}
