// Runs YOUR pinger (exercise.ts) by hand and prints its report, like the client of the
// Kurose & Ross "UDP Pinger" assignment:
//   npx tsx lessons/05-udp/try-ping.ts
// HOST and PORT say where the echo server is (127.0.0.1 and 8888 by default);
// COUNT, TIMEOUT_MS and RETRIES are passed to ping() (10, 1000 and 0 by default).

import { ping } from "./exercise.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const options = {
  count: Number(process.env.COUNT ?? 10),
  timeoutMs: Number(process.env.TIMEOUT_MS ?? 1000),
  retries: Number(process.env.RETRIES ?? 0),
};

console.log(`Pinging ${HOST}:${PORT} over UDP:`, options);
try {
  const report = await ping(HOST, PORT, options);
  report.rtts.forEach((rtt, index) => {
    console.log(rtt === null ? `  PING ${index + 1}: request timed out` : `  PING ${index + 1}: echo after ${rtt.toFixed(2)} ms`);
  });
  const ms = (value: number | null) => (value === null ? "-" : value.toFixed(2));
  console.log(`${report.sent} sent, ${report.received} received, ${report.lossPercent}% loss`);
  console.log(`rtt min/avg/max = ${ms(report.min)}/${ms(report.avg)}/${ms(report.max)} ms`);
} catch (err) {
  if ((err as Error).name === "NotImplementedError") console.log("Not written yet: open lessons/05-udp/exercise.ts");
  else throw err;
}
