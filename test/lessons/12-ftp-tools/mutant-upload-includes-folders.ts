// Wrong answer: uploads every matching entry of the local folder, folders too
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "basic-ftp";
import { matches } from "../../../lessons/12-ftp-tools/solution.ts";

export async function uploadMatching(client: Client, localDir: string, glob: string, remoteDir: string): Promise<string[]> {
  const names = (await readdir(localDir)).filter((name) => matches(glob, name)).sort();
  for (const name of names) await client.uploadFrom(join(localDir, name), `${remoteDir}/${name}`);
  return names;
}
