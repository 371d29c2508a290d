import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

// File-change events do not reach Linux from Windows drives (WSL) or network shares:
// there `npm run watch` polls instead. POLL=1 forces polling anywhere.
const poll = process.env.POLL === "1" || /microsoft/i.test(release());

// One config, three runs (see test/kit/checker.ts), chosen with vitest's --mode:
// - `--mode learner` (npm test and npm run watch, through test/kit/check.ts): only the checks of
//   your exercises, one block per lesson and your progress — vitest's own report left out;
// - `--mode kit` (npm run test:kit): everything the kit proves about itself — every solution
//   passes, every wrong answer is caught, servers, examples, site, bench smoke — and none of
//   your exercises;
// - no mode (npx vitest run --config test/vitest.config.ts <file>, by hand): all of it.
export default defineConfig(({ mode }) => {
  const run = mode === "learner" || mode === "kit" ? mode : undefined;
  return {
    root: fileURLToPath(new URL("..", import.meta.url)),
    server: { watch: poll ? { usePolling: true, interval: 500 } : {} },
    test: {
      include: run === "learner" ? ["test/lessons/*/spec.test.ts"] : ["test/**/*.test.ts"],
      // The long attack suite is `npm run soak` (its own config); its short version is in test/servers/.
      exclude: [...configDefaults.exclude, "test/soak/**"],
      reporters:
        run === "learner"
          ? [["./test/kit/progress-reporter.ts", { blocks: true }]]
          : ["default", "./test/kit/progress-reporter.ts"],
      // Generous: tests that start several processes are slow on a busy 2-core machine. Speed is
      // never asserted here (that is `npm run bench`); this only stops a hung test.
      testTimeout: 30_000,
      // Most checks wait on sockets and timers, not the CPU: run more files at once than
      // there are cores (vitest's default is cores − 1, a single worker on a 2-core laptop).
      maxWorkers: 4,
      env: run ? { KIT_RUN: run } : {},
    },
  };
});
