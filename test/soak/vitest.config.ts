import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run soak`: one file, one worker (the attacks need the whole machine's attention, and their
// figures mean more without another test file beside them); console output shown as it comes.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/soak/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
