// Saving an attachment without trusting its name.
//
// The file name of an attachment comes from the message: from a header the SENDER wrote
// (Content-Disposition: attachment; filename="..."). Anyone can send you mail, so that
// name is hostile input. Joined naively to a folder, it can:
//   - climb out of it:            "../../.bashrc"  → overwrites your shell's start-up file
//   - point anywhere at all:      "/etc/cron.d/x", "C:\Windows\…"  (an absolute path wins in path.join)
//   - hide:                       ".profile", "..", ""  (dot files, or no name at all)
//   - be a device on Windows:     "CON", "nul.txt", "COM1"  (reserved names, whatever the extension)
//   - carry control characters:   "report\r\n.pdf", or a right-to-left mark that makes "fdp.exe" look like "exe.pdf"
//   - replace a file you already have, with the same name.
// So: keep only the last path component (basename, for "/" AND "\"), keep only characters
// on a short whitelist, fall back to a generated name, and never overwrite ("wx").

import { open } from "node:fs/promises";
import { join } from "node:path";

// Windows refuses these as file names, with or without an extension.
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** A file name that is safe to create inside a folder, made from the name the sender suggested. */
export function safeFileName(suggested: string | undefined, fallback: string): string {
  // The last component, whichever separator the sender used ("a/b\\c.txt" → "c.txt").
  const last = (suggested ?? "").split(/[/\\]/).pop() ?? "";
  const cleaned = last
    .normalize("NFC")
    .replace(/[^\p{L}\p{N} ._-]/gu, "_") // whitelist: letters, digits, space, ". _ -"; no control or bidi characters
    .replace(/^[. ]+|[. ]+$/g, "") // no leading dot (hidden file, ".."), no trailing dot or space (Windows drops them)
    .slice(0, 100);
  const stem = cleaned.split(".")[0]!; // "nul.txt" → "nul"
  if (!/[\p{L}\p{N}]/u.test(cleaned) || RESERVED.test(stem)) return fallback; // nothing left, or a device name
  return cleaned;
}

/**
 * Writes `content` into `folder` under a safe version of `suggested`, never over an
 * existing file: "wx" fails if the name exists (and does not follow a planted symlink),
 * and we try "name-2.ext", "name-3.ext" … instead. Returns the path it wrote.
 */
export async function saveAttachment(folder: string, suggested: string | undefined, fallback: string, content: Buffer): Promise<string> {
  const name = safeFileName(suggested, fallback);
  const dot = name.lastIndexOf(".");
  const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let copy = 1; copy <= 100; copy++) {
    const path = join(folder, copy === 1 ? name : `${base}-${copy}${extension}`);
    try {
      const file = await open(path, "wx");
      await file.writeFile(content);
      await file.close();
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  throw new Error(`${folder} already has 100 files named like ${name}: not saving another`);
}
