// The exercise checker. Every lesson's spec calls checkLesson() with a list of checks,
// and the same checks run three ways:
//
//   1. against your lessons/NN-slug/exercise.ts (`npm test`) — an exercise that is still its
//      stub is "not started": skipped with a note, not failed, and without starting anything;
//   2. against the reference solution.ts — it must pass, always;
//   3. against each wrong answer kept beside the spec (test/lessons/NN-slug/mutant-*.ts,
//      each starting with a "// Wrong answer: <the mistake>" line) — at least one check
//      must fail, or the spec is too weak to catch that mistake.
//
// 2 and 3 are the kit checking itself (`npm run test:kit`). KIT_RUN says which runs:
// "learner" (npm test, npm run watch) only 1, "kit" only 2 and 3, unset (vitest run by hand
// on a spec file) all three. The checker finds the solution and the wrong answers by their
// paths and imports them only when it runs them, so checking your exercise does not load them.
//
// Checks that talk over sockets set `network: true` and run twice: through a friendly
// network and through the hostile proxy (servers/hostile-proxy.ts). When one fails,
// the message shows the conversation on the wire and the seed that reproduces it. When one
// of your checks times out, the lesson's remaining network checks are skipped in that run:
// a client waiting for a reply that never comes would only wait again in each of them.

import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, test, expect } from "vitest";
import { NotImplementedError } from "../../lessons/not-implemented.ts";
import { isUntouched, SKIPPED_AFTER_TIMEOUT } from "./lessons.ts";
import {
  PROFILES,
  startTcpProxy,
  startUdpProxy,
  type ProfileName,
  type TcpFaults,
  type UdpFaults,
  type UdpProxy,
} from "../../servers/hostile-proxy.ts";
import { Transcript } from "../../servers/transcript.ts";
import { applyDiff } from "./patch.ts";

declare module "vitest" {
  interface TaskMeta {
    /** Set on the tests of a learner's exercise, read by the progress reporter. */
    exercise?: string;
  }
}

export interface Network {
  profile: ProfileName;
  seed: number;
  /** Puts the network in front of a TCP server: connect to the port this returns. */
  tcp(targetPort: number, faults?: Partial<TcpFaults>): Promise<number>;
  /** Puts the network in front of a UDP server: send to `proxy.port`; `proxy.log` tells what was lost. */
  udp(targetPort: number, faults?: Partial<UdpFaults>): Promise<UdpProxy>;
  /** Runs `cleanup` when the check ends, passed or failed (close your servers here). */
  defer(cleanup: () => unknown): void;
  /** The file of the implementation under test: the exercise, the solution or a wrong answer. */
  sourceFile: string;
}

export interface Check<Impl> {
  name: string;
  /** Run once through the friendly and once through the hostile network. */
  network?: boolean;
  /** How long the check may take before it fails with a "timed out" message (default CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
  run(impl: Impl, network: Network): Promise<void> | void;
}

export interface LessonSpec<Impl> {
  /** The learner's module, imported by the spec (so that watch mode re-runs when it changes). */
  exercise: Impl;
  checks: Check<Impl>[];
}

/** The kit's top folder. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WrongAnswer {
  /** The mistake, from the file's first line: "// Wrong answer: <description>" ("# Wrong answer: …" in a .diff). */
  description: string;
  file: string;
}

/**
 * The wrong answers of a lesson, each with its description: test/lessons/<lesson>/mutant-*.ts
 * (a module: usually the solution re-exported with one function replaced) and mutant-*.diff
 * (a unified diff the checker applies to the solution, for a mistake inside a class).
 */
export function wrongAnswers(lesson: string): WrongAnswer[] {
  const folder = join(ROOT, "test/lessons", lesson);
  return readdirSync(folder)
    .filter((name) => /^mutant-.*\.(ts|diff)$/.test(name))
    .sort()
    .map((name) => {
      const file = join(folder, name);
      const firstLine = readFileSync(file, "utf8").split("\n", 1)[0]!;
      const description = /^(?:\/\/|#) Wrong answer: (.+)$/.exec(firstLine)?.[1];
      if (!description) throw new Error(`${file} must start with a "// Wrong answer: <the mistake>" line ("# Wrong answer: …" in a .diff)`);
      return { description, file };
    });
}

/**
 * Writes the solution with a .diff wrong answer applied next to the solution (so that its
 * relative imports still work), as a git-ignored lessons/<lesson>/.wrong-<name>.ts.
 */
function writePatchedSolution(lesson: string, diffFile: string): string {
  const solutionFile = join(ROOT, "lessons", lesson, "solution.ts");
  let patched: string;
  try {
    patched = applyDiff(readFileSync(solutionFile, "utf8"), readFileSync(diffFile, "utf8"));
  } catch (err) {
    throw new Error(`${diffFile}: ${(err as Error).message}`);
  }
  const file = join(ROOT, "lessons", lesson, `.wrong-${basename(diffFile, ".diff").replace(/^mutant-/, "")}.ts`);
  writeFileSync(file, patched);
  return file;
}

const CHECK_TIMEOUT_MS = 4000;

/** The seed of this run: `SEED=1234 npm test` repeats a run's faults exactly. */
export const baseSeed = process.env.SEED ? Number(process.env.SEED) : Math.floor(Math.random() * 1e6);

export function checkLesson<Impl>(lesson: string, spec: LessonSpec<Impl>): void {
  const exerciseFile = `lessons/${lesson}/exercise.ts`;
  const solutionFile = join(ROOT, "lessons", lesson, "solution.ts");
  const load = async (file: string) => (await import(pathToFileURL(file).href)) as Impl;
  const runs = spec.checks.flatMap((check, index) =>
    (check.network ? (["friendly", "hostile"] as const) : ([null] as const)).map((profile) => ({
      check,
      profile,
      seed: baseSeed + index,
      title: profile ? `${check.name} (${profile} network)` : check.name,
    })),
  );
  // vitest's own limit: later than the check's, so the check's clearer message wins.
  const timeout = (check: Check<Impl>) => (check.timeoutMs ?? CHECK_TIMEOUT_MS) + 2000;

  // Still the stub: every check would only meet a todo(), so none starts a server to find out.
  const untouched = isUntouched(lesson);
  let timedOut = false; // one of this lesson's checks timed out in this run
  if (CHECK_EXERCISE) describe(`${lesson}: your exercise (${exerciseFile})`, () => {
    for (const { check, profile, seed, title } of runs) {
      test(title, { timeout: timeout(check) }, async (context) => {
        context.task.meta.exercise = lesson;
        if (untouched) context.skip(`not started — open ${exerciseFile}`);
        if (timedOut && check.network) context.skip(SKIPPED_AFTER_TIMEOUT);
        try {
          await runCheck(lesson, check, spec.exercise, join(ROOT, exerciseFile), profile ?? "friendly", seed, () => (timedOut = true));
        } catch (err) {
          if (isNotStarted(err)) context.skip(`not started — open ${exerciseFile}`);
          throw err;
        }
      });
    }
  });

  if (SELF_CHECK) describe(`${lesson}: the reference solution passes the same checks`, () => {
    for (const { check, profile, seed, title } of runs) {
      test(title, { timeout: timeout(check) }, async () =>
        runCheck(lesson, check, await load(solutionFile), solutionFile, profile ?? "friendly", seed),
      );
    }
  });

  if (SELF_CHECK) describe(`${lesson}: the checks catch plausible wrong answers`, () => {
    const mutants = SELF_CHECK ? wrongAnswers(lesson) : [];
    test("there is at least one wrong answer to catch", () => {
      expect(mutants.length).toBeGreaterThan(0);
    });
    for (const { description: name, file: fixture } of mutants) {
      const budget = runs.reduce((sum, { check }) => sum + timeout(check), 0);
      test(`rejects: ${name}`, { timeout: budget }, async (context) => {
        const file = fixture.endsWith(".diff") ? writePatchedSolution(lesson, fixture) : fixture;
        if (file !== fixture) context.onTestFinished(() => rmSync(file, { force: true }));
        const mutant = await load(file);
        const caughtBy: string[] = [];
        for (const { check, profile, seed, title } of runs) {
          try {
            await runCheck(lesson, check, mutant, file, profile ?? "friendly", seed);
          } catch (err) {
            if (isNotStarted(err)) throw new Error(`mutant "${name}" calls todo(): it must be a complete wrong answer`);
            caughtBy.push(title);
            break; // caught: no need to run the remaining checks
          }
        }
        expect(caughtBy, `no check rejected the wrong answer "${name}" (${repeatWith(lesson)})`).not.toEqual([]);
      });
    }
  });
}

/** Which of the three runs this is (see the top of this file). */
const CHECK_EXERCISE = process.env.KIT_RUN !== "kit";
const SELF_CHECK = process.env.KIT_RUN !== "learner";

/** How to repeat this run's random faults exactly. */
function repeatWith(lesson: string): string {
  const command = !SELF_CHECK
    ? `npm test -- ${lesson.slice(0, 2)}`
    : !CHECK_EXERCISE
      ? `npm run test:kit -- test/lessons/${lesson}/`
      : `npx vitest run --config test/vitest.config.ts test/lessons/${lesson}/`;
  return `repeat exactly with: SEED=${baseSeed} ${command}`;
}

/** True for the error an untouched todo() stub throws. */
export function isNotStarted(err: unknown): boolean {
  return err instanceof NotImplementedError || (err instanceof Error && err.name === "NotImplementedError");
}

async function runCheck<Impl>(
  lesson: string,
  check: Check<Impl>,
  impl: Impl,
  sourceFile: string,
  profile: ProfileName,
  seed: number,
  onTimeout: () => void = () => {},
): Promise<void> {
  const transcripts: Transcript[] = [];
  const cleanups: (() => unknown)[] = [];
  const newTranscript = () => {
    const transcript = new Transcript();
    transcripts.push(transcript);
    return transcript;
  };
  const network: Network = {
    profile,
    seed,
    async tcp(targetPort, faults) {
      const proxy = await startTcpProxy({ targetPort, seed, newTranscript, faults: { ...PROFILES[profile].tcp, ...faults } });
      cleanups.push(() => proxy.close());
      return proxy.port;
    },
    async udp(targetPort, faults) {
      const proxy = await startUdpProxy({ targetPort, seed, newTranscript, faults: { ...PROFILES[profile].udp, ...faults } });
      cleanups.push(() => proxy.close());
      return proxy;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
    sourceFile,
  };

  // Code under test runs inside this test process: an exception thrown in one of its event
  // handlers (or an 'error' event nobody listens for) would end the whole test run. While the
  // check runs, such a crash fails this check instead, with a message that says what happened.
  let guard = { restore() {} };
  const crashed = new Promise<never>((_, reject) => {
    guard = catchCrashes((err) => reject(crashError(err)));
  });
  crashed.catch(() => {}); // only the race below reports it

  const limit = check.timeoutMs ?? CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${limit / 1000} s — is something waiting for data that never comes?`));
    }, limit);
  });
  try {
    await Promise.race([Promise.resolve().then(() => check.run(impl, network)), timedOut, crashed]);
  } catch (err) {
    if (isNotStarted(err) || !(err instanceof Error)) throw err;
    err.message = explainFailure(lesson, check.name, profile, check.network === true, err.message, transcripts);
    throw err;
  } finally {
    clearTimeout(timer);
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // a cleanup failing must not hide the real result
      }
    }
    await new Promise((resolve) => setImmediate(resolve)); // errors raised by the cleanups themselves
    guard.restore();
  }
}

function crashError(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  const where = (error.stack ?? "").split("\n").filter((line) => line.includes("/lessons/")).slice(0, 3);
  return new Error(
    `your code crashed: "${error.message}" was thrown where nothing could catch it — in an event ` +
      "handler or callback, or as an 'error' event nobody listens for. A real program would have died here." +
      (where.length > 0 ? `\n${where.join("\n")}` : ""),
  );
}

/**
 * While code under test runs in this process, routes uncaught exceptions and unhandled
 * promise rejections to `onCrash` instead of the test runner; `restore()` undoes it.
 */
export function catchCrashes(onCrash: (err: unknown) => void): { restore(): void } {
  const usualExceptionListeners = process.listeners("uncaughtException");
  const usualRejectionListeners = process.listeners("unhandledRejection");
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  return {
    restore() {
      process.removeListener("uncaughtException", onCrash);
      process.removeListener("unhandledRejection", onCrash);
      for (const listener of usualExceptionListeners) process.on("uncaughtException", listener);
      for (const listener of usualRejectionListeners) process.on("unhandledRejection", listener);
    },
  };
}

function explainFailure(
  lesson: string,
  checkName: string,
  profile: ProfileName,
  viaNetwork: boolean,
  message: string,
  transcripts: Transcript[],
): string {
  const lines = [`lesson ${lesson} — ${checkName}`, message];
  lines.push(viaNetwork ? `(${profile} network; ${repeatWith(lesson)})` : `(${repeatWith(lesson)})`);
  const shown = transcripts.filter((t) => t.toString() !== "").slice(0, 4);
  shown.forEach((transcript, index) => {
    lines.push("", `What was said on the wire (connection ${index + 1} of ${transcripts.length}):`, transcript.toString());
  });
  return lines.join("\n");
}

/**
 * Like `expect(fn).toThrow()`, except that an untouched todo() stub does not count as
 * "threw an error as it should": it still means "not started".
 */
export function expectThrows(fn: () => unknown, what: string, errorType: new (...args: never[]) => Error = Error): void {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (err) {
    threw = true;
    thrown = err;
  }
  if (threw && isNotStarted(thrown)) throw thrown;
  expect(threw, `${what} should throw`).toBe(true);
  expect(thrown, `${what} should throw a ${errorType.name}`).toBeInstanceOf(errorType);
}

/** The async twin of expectThrows: `await expectRejects(httpGet(...), "httpGet of a dead server")`. */
export async function expectRejects(promise: Promise<unknown>, what: string): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (isNotStarted(err)) throw err;
    expect(err, `${what} should reject with an Error`).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error(`${what} should have been rejected, but it resolved`);
}
