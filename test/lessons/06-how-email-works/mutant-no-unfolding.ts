// Wrong answer: reads each line on its own (does not unfold folded headers)
// Treats every line as a header of its own. A folded Received: header
// ("from a (comment)\r\n\tby b ...") loses its "by" and its date to the continuation lines.
export * from "../../../lessons/06-how-email-works/solution.ts";
import { receivedHops as correctHops, type Header, type Hop } from "../../../lessons/06-how-email-works/solution.ts";

export function unfoldHeaders(raw: string): Header[] {
  const headers: Header[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon === -1 || line.startsWith(" ") || line.startsWith("\t")) continue; // the mistake
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

export function receivedHops(raw: string): Hop[] {
  // Re-build the message from the unfolded-in-name-only headers, and read that.
  const headerText = unfoldHeaders(raw).map(({ name, value }) => `${name}: ${value}`).join("\n");
  return correctHops(`${headerText}\n\n`);
}
