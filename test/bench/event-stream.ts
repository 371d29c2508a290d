// A console page as the benches see it: GET /console/api/events held open and read as fast as
// it comes (the browser's EventSource), counting the bytes and doing nothing else with them.

import http from "node:http";

export async function openEventStream(port: number): Promise<{ bytes(): number; close(): void }> {
  let bytes = 0;
  const request = http.get({ host: "127.0.0.1", port, path: "/console/api/events", headers: { Accept: "text/event-stream" } });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  if (response.statusCode !== 200) throw new Error(`GET /console/api/events: ${response.statusCode}`);
  response.on("data", (chunk: Buffer) => (bytes += chunk.length));
  response.on("error", () => {}); // closed by close() or the server stopping
  return { bytes: () => bytes, close: () => request.destroy() };
}
