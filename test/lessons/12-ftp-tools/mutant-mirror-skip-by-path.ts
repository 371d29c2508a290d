// Wrong answer: matches skip patterns against the path ("src/x.pyc"), not the name, so sub-folders are not skipped
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
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if ((options.skip ?? []).some((glob) => matches(glob, path))) continue;
      if (entry.type === FileType.Directory) {
        if (options.recursive) await copyFolder(path);
      } else if (entry.type === FileType.File) {
        await client.downloadTo(join(localDir, path), `${remoteDir}/${path}`);
        copied.push(path);
      }
    }
  }
  await copyFolder("");
  return copied.sort();
}
