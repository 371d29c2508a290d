// Wrong answer: reads Received: lines in the body too (does not stop at the empty line)
// Searches the whole message for Received: lines, body included. A body can
// say anything — a quoted bounce, a forwarded message, a lie — only the header section counts.
export * from "../../../lessons/06-how-email-works/solution.ts";
import { receivedHops as headerHops, type Header, type Hop } from "../../../lessons/06-how-email-works/solution.ts";

export function unfoldHeaders(raw: string): Header[] {
  const headers: Header[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line === "") continue; // the mistake: the empty line does not end anything
    if (line.startsWith(" ") || line.startsWith("\t")) {
      const last = headers[headers.length - 1];
      if (last) last.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1) });
  }
  return headers.map(({ name, value }) => ({ name: name.trim(), value: value.trim() }));
}

export function receivedHops(raw: string): Hop[] {
  const headerText = unfoldHeaders(raw).map(({ name, value }) => `${name}: ${value}`).join("\n");
  return headerHops(`${headerText}\n\n`);
}
