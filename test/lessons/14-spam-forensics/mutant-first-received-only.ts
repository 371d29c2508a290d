// Wrong answer: reads only the first (newest) Received: header
// Reads only the first (topmost) Received: header. That is the NEWEST hop — the
// last server before yours. The sender's own servers are further down, in the older stamps.
export * from "../../../lessons/14-spam-forensics/solution.ts";
import { domainOf, inspect as realInspect, type Findings } from "../../../lessons/14-spam-forensics/solution.ts";
import { unfoldHeaders } from "../../../lessons/06-how-email-works/solution.ts";

export async function inspect(raw: string): Promise<Findings> {
  const findings = await realInspect(raw);
  const first = unfoldHeaders(raw).find((header) => header.name.toLowerCase() === "received");
  const from = first ? /\bfrom\s+(\S+)/i.exec(first.value)?.[1] : undefined;
  const domain = from === undefined ? null : domainOf(from);
  return { ...findings, domains: { ...findings.domains, receivedChain: domain === null ? [] : [domain] } };
}
