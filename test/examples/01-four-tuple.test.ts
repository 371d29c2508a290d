import { expect, test } from "vitest";
import { runExample } from "../kit/processes.ts";

test("examples/four-tuple.ts shows the same 4-tuple from both ends, and EADDRINUSE", async () => {
  const { code, stdout } = await runExample("examples/four-tuple.ts");
  expect(code).toBe(0);
  const serverPort = /Listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1];
  const clients = [...stdout.matchAll(/client sees: local 127\.0\.0\.1:(\d+)  remote 127\.0\.0\.1:(\d+)/g)];
  const servers = [...stdout.matchAll(/server sees: local 127\.0\.0\.1:(\d+)  remote 127\.0\.0\.1:(\d+)/g)];
  expect(clients).toHaveLength(2);
  expect(servers).toHaveLength(2);
  for (let i = 0; i < 2; i++) {
    expect(clients[i]![2]).toBe(serverPort); // the client talks to the server's port…
    expect(servers[i]![1]).toBe(serverPort);
    expect(servers[i]![2]).toBe(clients[i]![1]); // …and the server sees the client's own port
  }
  expect(clients[0]![1]).not.toBe(clients[1]![1]); // two connections, two client ports
  expect(stdout).toContain(`A second server on port ${serverPort}: EADDRINUSE`);
});
