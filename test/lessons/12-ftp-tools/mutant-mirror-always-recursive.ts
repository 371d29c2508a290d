// Wrong answer: mirror goes into sub-folders without -r
// Goes into every sub-folder, -r or not. Seed exercise 17-7 asks to mirror
// sub-folders only when the user says -r: without it, a mirror of / would copy the server.
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FileType, type Client } from "basic-ftp";
import { matches, type MirrorOptions } from "../../../lessons/12-ftp-tools/solution.ts";

export async function mirror(client: Client, remoteDir: string, localDir: string, options: MirrorOptions = {}): Promise<string[]> {
  const copied: string[] = [];
  async function copyFolder(relative: string): Promise<void> {
    await mkdir(join(localDir, relative), { recursive: true });
    for (const entry of await client.list(relative === "" ? remoteDir : `${remoteDir}/${relative}`)) {
      if (entry.name === "." || entry.name === "..") continue;
      if ((options.skip ?? []).some((glob) => matches(glob, entry.name))) continue;
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.type === FileType.Directory) {
        await copyFolder(path); // every folder, always
      } else if (entry.type === FileType.File) {
        await client.downloadTo(join(localDir, path), `${remoteDir}/${path}`);
        copied.push(path);
      }
    }
  }
  await copyFolder("");
  return copied.sort();
}
