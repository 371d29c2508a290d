// Applies a wrong answer written as a unified diff (test/lessons/NN-slug/mutant-*.diff) to the
// reference solution. Such a fixture holds only its mistake — a few changed lines with their
// context — instead of a full copy of the solution that drifts from it.
//
// Each hunk is found by its text, not by its line numbers: its context and "-" lines must occur
// exactly once in the solution, and are replaced by its context and "+" lines. A hunk that no
// longer matches (the solution changed) is an error that names the hunk.

interface Hunk {
  header: string;
  before: string[];
  after: string[];
}

/** The hunks of a unified diff (comment lines and the ---/+++ file lines are skipped). */
export function parseDiff(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  let hunk: Hunk | undefined;
  for (const line of diff.replace(/\r\n/g, "\n").split("\n")) {
    if (line.startsWith("@@")) {
      hunk = { header: line, before: [], after: [] };
      hunks.push(hunk);
    } else if (!hunk || line.startsWith("\\")) {
      continue; // comments and file names before the first hunk; "\ No newline at end of file"
    } else if (line.startsWith("-")) {
      hunk.before.push(line.slice(1));
    } else if (line.startsWith("+")) {
      hunk.after.push(line.slice(1));
    } else if (line.startsWith(" ") || line === "") {
      hunk.before.push(line.slice(1));
      hunk.after.push(line.slice(1));
    } else {
      hunk = undefined; // text after a hunk that is not part of it
    }
  }
  // A trailing empty line of the file is not a context line.
  for (const h of hunks) {
    while (h.before.at(-1) === "" && h.after.at(-1) === "") {
      h.before.pop();
      h.after.pop();
    }
  }
  return hunks;
}

/** `original` with every hunk of `diff` applied. */
export function applyDiff(original: string, diff: string): string {
  const hunks = parseDiff(diff);
  if (hunks.length === 0) throw new Error("the diff has no hunks (lines starting with @@)");
  // Padded with a newline at both ends, so that hunks match whole lines only.
  let text = `\n${original}\n`;
  for (const { header, before, after } of hunks) {
    const from = `\n${before.join("\n")}\n`;
    const first = text.indexOf(from);
    if (first === -1) throw new Error(`hunk "${header}" does not match the solution any more: update the diff`);
    if (text.indexOf(from, first + 1) !== -1) throw new Error(`hunk "${header}" matches the solution in several places: add context`);
    text = text.slice(0, first) + `\n${after.join("\n")}\n` + text.slice(first + from.length);
  }
  return text.slice(1, -1);
}
