// Lesson 12 — your exercise: the parts of a small FTP tool, one function per step. Replace
// each todo(...) with your own code, in order, then run:
//   npm test -- 12
// Each step has its own checks, so you see every step you finish turn green.
// Stuck? npm run hint 12

import type { Client } from "basic-ftp";
import { todo } from "../not-implemented.ts";

// Useful imports for the steps below (uncomment what you use):
// import { mkdir, readdir } from "node:fs/promises";
// import { join } from "node:path";
// import { Client, FileType } from "basic-ftp";   (then delete the "import type" line above)

/**
 * Step 1 — log in. "ftp://127.0.0.1:2121" (anonymous, with an e-mail address as password)
 * or "ftp://me:secret@127.0.0.1:2121". Resolve with a logged-in basic-ftp Client; a wrong
 * password rejects (basic-ftp's error says "530 …"). `new URL(url)` splits the URL for you.
 */
export async function openClient(url: string): Promise<Client> {
  todo("openClient");
}

/**
 * Step 2 — Core Python exercise 17-1, the pure part: of the names with a version in them
 * ("tool-1.10.0.tar.gz"), the one with the highest version. Versions compare number by
 * number: 1.10.0 > 1.9.2 > 1.2.0. Names without a version are ignored; none at all: undefined.
 */
export function newestRelease(names: string[]): string | undefined {
  todo("newestRelease");
}

/**
 * Step 3 — Core Python exercise 17-1: list `remoteDir`, pick the newest release, download it into
 * `localDir` (create the folder if needed) under its own name, and return that name.
 */
export async function downloadNewest(client: Client, remoteDir: string, localDir: string): Promise<string> {
  todo("downloadNewest");
}

/**
 * Step 4 — shell-style patterns for Core Python exercises 17-2 and 17-8. "*" matches any run of
 * characters, "?" exactly one — neither matches "/" — and every other character matches
 * only itself ("." is a dot). The pattern must match the WHOLE name:
 *   matches("doc*.pdf", "doc-faq.pdf") → true      matches("*.py", "hello.pyc") → false
 */
export function matches(glob: string, name: string): boolean {
  todo("matches");
}

/**
 * Step 5 — Core Python exercise 17-2: download the files (not folders) of `remoteDir` whose
 * names match `glob` into `localDir` (create it if needed). Return their names, sorted.
 */
export async function downloadMatching(client: Client, remoteDir: string, glob: string, localDir: string): Promise<string[]> {
  todo("downloadMatching");
}

/**
 * Step 6 — Core Python exercise 17-8: upload the files (not folders) of `localDir` whose names
 * match `glob` into the existing `remoteDir`. Return their names, sorted.
 */
export async function uploadMatching(client: Client, localDir: string, glob: string, remoteDir: string): Promise<string[]> {
  todo("uploadMatching");
}

export interface MirrorOptions {
  recursive?: boolean; // -r: go into sub-folders too
  skip?: string[]; // -s: names (of files or folders) to leave out, as patterns
}

/**
 * Step 7 — Core Python exercise 17-7: copy the files of `remoteDir` into `localDir`. Only with
 * `recursive` go into its folders (and theirs), re-creating them locally. Leave out every
 * file or folder whose NAME matches one of the `skip` patterns (a skipped folder is not
 * entered, nor created). Return the copied files' paths relative to `remoteDir`, with "/"
 * ("src/main.py"), sorted.
 */
export async function mirror(client: Client, remoteDir: string, localDir: string, options: MirrorOptions = {}): Promise<string[]> {
  todo("mirror");
}

/**
 * Step 8 — Core Python exercise 17-10: a zip archive of `files`, stored without compression
 * (method 0). Per file: a 30-byte local header, the name, the bytes. Then a 46-byte
 * central directory entry + name per file, then the 22-byte end record. The README's
 * "A zip file by hand" shows every field. Each header holds the CRC-32 of the file's bytes.
 */
export function zipStore(files: { name: string; data: Buffer }[]): Buffer {
  todo("zipStore");
}

/**
 * Step 9 — Core Python exercise 17-3: one line of a progress bar, after `done` of `total` bytes
 * in `elapsedMs` milliseconds:
 *   progressLine(524288, 1048576, 2000) → "[##########..........]  50%  256.0 KB/s"
 * - the bar: `width` characters, Math.round(width × done / total) of them "#", the rest ".";
 * - the percentage: Math.floor(100 × done / total), padded to 3 characters, then "%";
 * - two spaces, the speed in bytes per SECOND: below 1024 "N B/s" (N rounded), below
 *   1024 × 1024 "x.y KB/s", else "x.y MB/s" (one decimal, 1 KB = 1024 bytes). 0 ms: "0 B/s".
 */
export function progressLine(done: number, total: number, elapsedMs: number, width = 20): string {
  todo("progressLine");
}

/**
 * Step 10 — Core Python exercise 17-4: download `names` from `remoteDir` into `localDir`, several
 * at a time but never more than `limit` at once. One basic-ftp Client does one transfer at
 * a time, so call `connect()` for each client you need (it resolves with a logged-in one),
 * and close() every client you made before you return.
 */
export async function downloadAll(
  connect: () => Promise<Client>,
  remoteDir: string,
  names: string[],
  localDir: string,
  limit: number,
): Promise<void> {
  todo("downloadAll");
}
