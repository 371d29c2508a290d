// A scripted news server for the lesson 13 firstAndLatest checks: one group whose GROUP numbers
// promise more than is there, as RFC 3977 §6.1.1.2 allows — the low water mark names an
// article that has expired, and so do the newest numbers below the high water mark. The
// playground's own server always reports the lowest article present; this one does not.
// `faultAt` answers STAT of that number with 403 (an internal fault, not "no such article").
import net from "node:net";
import { once } from "node:events";

export interface ScriptedGroup {
  name: string;
  low: number; // what GROUP reports: may name an expired article
  high: number;
  present: number[]; // the articles that exist
  faultAt?: number;
}

/** The Message-ID the scripted server gives article `number`. */
export const scriptedMessageId = (number: number) => `<${number}.scripted@lesson13.example>`;

export async function startScriptedNews(group: ScriptedGroup): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const messageId = scriptedMessageId;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    const say = (line: string) => socket.write(`${line}\r\n`);
    let current: number | null = null;
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf("\n")) !== -1) {
        const [verb = "", arg] = buffer.slice(0, end).replace(/\r$/, "").split(" ");
        buffer = buffer.slice(end + 1);
        switch (verb.toUpperCase()) {
          case "GROUP":
            if (arg !== group.name) {
              say(`411 no such newsgroup: ${arg}`);
              break;
            }
            current = Math.min(...group.present);
            say(`211 ${group.present.length + 3} ${group.low} ${group.high} ${group.name}`);
            break;
          case "STAT": {
            if (current === null) {
              say("412 no newsgroup selected");
              break;
            }
            const number = arg === undefined ? current : Number(arg);
            if (number === group.faultAt) say("403 archive server not responding, try again later");
            else if (!group.present.includes(number)) say(`423 no article number ${number}`);
            else {
              current = number;
              say(`223 ${number} ${messageId(number)} status`);
            }
            break;
          }
          case "NEXT":
          case "LAST": {
            if (current === null) {
              say("412 no newsgroup selected");
              break;
            }
            const from = current;
            const moved = verb.toUpperCase() === "NEXT"
              ? group.present.filter((n) => n > from).sort((a, b) => a - b)[0]
              : group.present.filter((n) => n < from).sort((a, b) => b - a)[0];
            if (moved === undefined) say(verb.toUpperCase() === "NEXT" ? "421 no next article" : "422 no previous article");
            else {
              current = moved;
              say(`223 ${moved} ${messageId(moved)} status`);
            }
            break;
          }
          case "QUIT":
            say("205 bye");
            socket.end();
            break;
          default:
            say(`500 ${verb}: this scripted server knows GROUP, STAT, NEXT, LAST and QUIT`);
        }
      }
    });
    say("200 scripted news server for lesson 13");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
