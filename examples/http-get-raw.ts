// A web page fetched by hand: an HTTP/1.1 GET written over a plain TCP socket.
//   npm start                                        (first, in another terminal: the demo server on 127.0.0.1:8080)
//   npx tsx examples/http-get-raw.ts                 GET /          → saves the body to page.html
//   npx tsx examples/http-get-raw.ts /big.txt        GET /big.txt   → saves it to big.txt
//   npx tsx examples/http-get-raw.ts /echo out.txt   a second argument chooses the file name
// HOST and PORT say where the server is (127.0.0.1 and 8080 by default).
// The same program as liaoxuefeng's TCP编程 client, which fetched www.sina.com.cn.

import net from "node:net";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { basename } from "node:path";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8080);
const path = process.argv[2] ?? "/";
const file = process.argv[3] ?? (basename(path) || "page.html"); // "/big.txt" → big.txt, "/" → page.html

// #region request
// #region connect
const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect"); // the three-way handshake (SYN, SYN-ACK, ACK) is done
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}
// #endregion connect

// #region send
// An HTTP request is plain text: a request line, header lines, an empty line; each ends in \r\n.
// "Connection: close" asks the server to close the connection once it has answered —
// without it, HTTP/1.1 keeps the connection open for a next request, and the loop
// below, which reads until the server closes, would wait for the server's idle timeout.
socket.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nConnection: close\r\n\r\n`);
// #endregion send
// #endregion request

// #region read-until-close
// liaoxuefeng's `while True: d = s.recv(1024)` loop. Each turn of this loop is one 'data'
// event: TCP delivers a stream of bytes in whatever pieces the network makes, so a big
// body comes in many chunks. The loop ends when the server's FIN arrives (it closed).
const chunks: Buffer[] = [];
try {
  for await (const chunk of socket) chunks.push(chunk as Buffer);
} catch (err) {
  console.error(`The connection broke: ${(err as Error).message}`);
  process.exit(1);
}
const response = Buffer.concat(chunks);
// #endregion read-until-close

// #region split
// The head (status line and headers) ends at the FIRST empty line, "\r\n\r\n".
// Everything after it is the body: bytes, which we save as they are, never decoded.
const blankLine = response.indexOf("\r\n\r\n");
if (blankLine === -1) {
  console.error(`The server closed the connection after ${response.length} bytes, without a complete response head.`);
  process.exit(1);
}
const head = response.subarray(0, blankLine).toString("latin1");
const body = response.subarray(blankLine + 4);
console.log(head);
writeFileSync(file, body);
// #endregion split

console.log(`\nSaved the body (${body.length} bytes) to ${file}`);
console.log(`Received ${response.length} bytes in ${chunks.length} 'data' ${chunks.length === 1 ? "chunk" : "chunks"}`);
