// A tour of basic-ftp, the FTP client library: log in, look around, and every everyday
// operation on files and folders, in the home folder of the playground user "me".
//   npm start                              (first, in another terminal: FTP on 127.0.0.1:2121)
//   npx tsx examples/ftp-basics.ts         the tour
//   VERBOSE=1 npx tsx examples/ftp-basics.ts   also prints basic-ftp's conversation with the server
// HOST and FTP_PORT say where the server is (127.0.0.1 and 2121 by default); FTP_USER and
// FTP_PASSWORD whom to log in as (me / secret by default).

import { Readable, Writable } from "node:stream";
import { Client, FileType } from "basic-ftp";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.FTP_PORT ?? 2121);
const USER = process.env.FTP_USER ?? "me";
const PASSWORD = process.env.FTP_PASSWORD ?? "secret";

// One Client = one control connection = one FTP session. Its methods run one at a time:
// each is one command or one transfer (a PASV/EPSV data connection per listing or file).
const client = new Client(10_000); // give up if the server says nothing for 10 s
client.ftp.verbose = process.env.VERBOSE === "1"; // print every command and reply

try {
  // #region login
  // Connect, read the 220 greeting, USER, PASS, then TYPE I and a few settings.
  await client.access({ host: HOST, port: PORT, user: USER, password: PASSWORD });
  console.log(`Logged in to ${HOST}:${PORT} as ${USER}; the current folder is ${await client.pwd()}`);
  // #endregion login

  // #region folders
  await client.ensureDir("practice"); // MKD practice (if it is not there yet), then CWD practice
  console.log(`Made the folder practice/ and went into it: ${await client.pwd()}`);
  // #endregion folders

  // #region upload-download
  // STOR: a file's bytes go up over a data connection. A stream, a Buffer via Readable, or a local path.
  const text = "Hello from basic-ftp!\n";
  await client.uploadFrom(Readable.from([Buffer.from(text)]), "hello.txt");
  console.log(`Uploaded hello.txt (${Buffer.byteLength(text)} bytes); the server says it has ${await client.size("hello.txt")} bytes`);

  await client.rename("hello.txt", "greeting.txt"); // RNFR hello.txt, RNTO greeting.txt
  const names = (await client.list()).map((entry) => `${entry.name} (${entry.size} bytes)`);
  console.log(`Renamed it to greeting.txt; the folder now holds: ${names.join(", ")}`);

  // RETR: the bytes come back over a new data connection, into any Writable (here: memory).
  const chunks: Buffer[] = [];
  const memory = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await client.downloadTo(memory, "greeting.txt");
  console.log(`Downloaded greeting.txt: ${JSON.stringify(Buffer.concat(chunks).toString())}`);
  // #endregion upload-download

  // #region clean-up
  await client.remove("greeting.txt"); // DELE greeting.txt
  await client.cdup(); // CDUP: back to the parent folder
  await client.removeEmptyDir("practice"); // RMD practice (it must be empty)
  console.log("Deleted greeting.txt and removed practice/ again");
  // #endregion clean-up

  // #region anonymous
  // The public area, as anonymous: a fresh session (USER anonymous, an e-mail address as PASS).
  await client.access({ host: HOST, port: PORT, user: "anonymous", password: "learner@example.com" });
  for (const entry of await client.list("/")) {
    console.log(`  ${entry.type === FileType.Directory ? "folder" : "file  "}  ${entry.name}`);
  }
  // #endregion anonymous
} catch (err) {
  const message = (err as Error).message;
  if (/ECONNREFUSED/.test(message)) {
    console.error(`Could not connect to ${HOST}:${PORT} (${message}) — is the playground running? Start it with: npm start`);
  } else {
    console.error(`FTP error: ${message}`);
  }
  process.exitCode = 1;
} finally {
  client.close();
}
