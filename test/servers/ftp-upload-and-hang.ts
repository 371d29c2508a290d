// Run by ftp-uploads.test.ts as its own process, to be killed (kill -9) mid-upload: logs in as
// me/secret, starts `STOR <name>`, sends <bytes> bytes on the data connection, prints "sent",
// and then waits, the upload unfinished, until it is killed.
//   node --import tsx test/servers/ftp-upload-and-hang.ts <port> <name> <bytes>
import net from "node:net";
import { once } from "node:events";

const [port, name, bytes] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
const control = net.connect(port, "127.0.0.1");
let replies = "";
control.setEncoding("utf8");
control.on("data", (text: string) => (replies += text));

/** Waits for a reply line starting with `code`. */
async function expectReply(code: string): Promise<string> {
  while (!new RegExp(`^${code} .*\\r\\n`, "m").test(replies)) await once(control, "data");
  const line = new RegExp(`^${code} .*\\r\\n`, "m").exec(replies)![0];
  replies = replies.slice(replies.indexOf(line) + line.length);
  return line;
}

await expectReply("220");
control.write("USER me\r\nPASS secret\r\nTYPE I\r\nEPSV\r\n");
const epsv = await expectReply("229");
const data = net.connect(Number(/\|\|\|(\d+)\|/.exec(epsv)![1]), "127.0.0.1");
await once(data, "connect");
control.write(`STOR ${name}\r\n`);
await expectReply("150");
data.write(Buffer.alloc(bytes, "x"), () => console.log("sent"));
setInterval(() => {}, 60_000); // keep waiting, mid-upload
