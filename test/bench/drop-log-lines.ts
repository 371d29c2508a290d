// Preloaded into one copy of examples/udp-echo-server.ts (node --import) for the bench's
// diagnostic row: it drops every console.log line except "Listening on …", so the bench
// can show how much of that server's time goes into its one log line per datagram.
// The example itself is not changed.

const log = console.log;
console.log = (...args: unknown[]) => {
  if (String(args[0]).startsWith("Listening on")) log(...args);
};
