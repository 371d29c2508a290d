// Wrong answer: uses the basic-ftp library
// Lets the basic-ftp library do the talking. It works — and it is what
// lesson 12 does — but this lesson is about doing it yourself on node:net.
import { Writable } from "node:stream";
import { Client } from "basic-ftp";
import type { FtpJob, FtpResult } from "../../../lessons/11-ftp-by-hand/solution.ts";

export { parsePasvReply } from "../../../lessons/11-ftp-by-hand/solution.ts";

export async function listAndDownload(job: FtpJob): Promise<FtpResult> {
  const client = new Client(5000);
  try {
    await client.access({ host: job.host, port: job.port, user: job.user, password: job.password });
    await client.cd(job.directory);
    const listing = (await client.list()).map((entry) => entry.name).join("\n");
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    await client.downloadTo(sink, job.file);
    return { listing, file: Buffer.concat(chunks) };
  } finally {
    client.close();
  }
}
