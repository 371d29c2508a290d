// A console page as the benches see it: GET /console/api/events held open and read as fast as
// it comes (the browser's EventSource), counting the bytes and doing nothing else with them.
// `query`: PAGE_QUERY is what the sessions page asks while it shows the list and no session;
// none at all, every event and every line of every session (a script's stream).

import http from "node:http";

/** The sessions page's stream while no session is shown (servers/console/static/sessions.js: listen). */
export const PAGE_QUERY = "?types=session-opened,session-changed,session-closed,lines,bytes&lines=none";

export async function openEventStream(port: number, query = ""): Promise<{ bytes(): number; close(): void }> {
  let bytes = 0;
  const request = http.get({ host: "127.0.0.1", port, path: `/console/api/events${query}`, headers: { Accept: "text/event-stream" } });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  if (response.statusCode !== 200) throw new Error(`GET /console/api/events: ${response.statusCode}`);
  response.on("data", (chunk: Buffer) => (bytes += chunk.length));
  response.on("error", () => {}); // closed by close() or the server stopping
  return { bytes: () => bytes, close: () => request.destroy() };
}
