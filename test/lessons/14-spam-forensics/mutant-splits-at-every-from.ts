// Wrong answer: starts a message at every line that begins with 'From '
// Starts a new message at every line that begins with "From ". In mboxrd every
// such body line should have been escaped as ">From " — but not every program that wrote your
// mailbox was careful, and "From here on, …" in the middle of a paragraph is no separator.
export * from "../../../lessons/14-spam-forensics/solution.ts";

export function splitMbox(mbox: string): string[] {
  const messages: string[][] = [];
  for (const line of mbox.split(/\r?\n/)) {
    if (line.startsWith("From ")) messages.push([]);
    else if (messages.length > 0) messages[messages.length - 1]!.push(/^>+From /.test(line) ? line.slice(1) : line);
  }
  return messages.map((lines) => lines.join("\n").replace(/\n+$/, "\n"));
}
