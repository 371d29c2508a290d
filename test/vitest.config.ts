import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

// File-change events do not reach Linux from Windows drives (WSL) or network shares:
// there `npm run watch` polls instead. POLL=1 forces polling anywhere.
const poll = process.env.POLL === "1" || /microsoft/i.test(release());

// `npm run watch` re-checks on every save, so it runs only what the learner is waiting for:
// the checks of their exercises. The kit's self-checks (every solution passes, every wrong
// answer is caught — up to a minute per protocol lesson) run in `npm test` and in CI.
const watching = process.argv.slice(2).includes("watch");

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  server: { watch: poll ? { usePolling: true, interval: 500 } : {} },
  test: {
    include: ["test/**/*.test.ts"],
    // The long attack suite is `npm run soak` (its own config); its short version is in test/servers/.
    exclude: [...configDefaults.exclude, "test/soak/**"],
    reporters: ["default", "./test/kit/progress-reporter.ts"],
    // Generous: tests that start several processes are slow on a busy 2-core machine. Speed is
    // never asserted here (that is `npm run bench`); this only stops a hung test.
    testTimeout: 30_000,
    // Most checks wait on sockets and timers, not the CPU: run more files at once than
    // there are cores (vitest's default is cores − 1, a single worker on a 2-core laptop).
    maxWorkers: 4,
    env: watching ? { KIT_SELF_CHECK: "0" } : {},
  },
});
