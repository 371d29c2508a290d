import net from "node:net";
import { once } from "node:events";
import { expect } from "vitest";
import { checkLesson } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/98-fixture/exercise.ts";

checkLesson<typeof import("../../../lessons/98-fixture/solution.ts")>("98-fixture", {
  exercise,
  checks: [
    {
      name: "double doubles",
      run({ double }) {
        expect(double(21), "double(21)").toBe(42);
      },
    },
    {
      name: "the shout server answers a line in capitals",
      network: true,
      async run({ startShoutServer }, network) {
        const server = await startShoutServer(0);
        network.defer(() => server.close());
        const port = await network.tcp((server.address() as net.AddressInfo).port);
        const client = net.connect(port, "127.0.0.1");
        network.defer(() => client.destroy());
        client.write("hello\n");
        let reply = "";
        while (!reply.includes("\n")) reply += (await once(client, "data"))[0];
        expect(reply, 'the answer to "hello\\n"').toBe("HELLO\r\n");
      },
    },
  ],
});
