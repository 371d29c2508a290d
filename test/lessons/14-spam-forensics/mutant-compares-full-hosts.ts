// Wrong answer: compares whole host names instead of domains
// Compares whole host names. lists.example.org and mail.example.org, or
// click.weekly.example and www.weekly.example, belong to one organisation: comparing full
// names flags every mailing list and every newsletter with a tracking domain.
export * from "../../../lessons/14-spam-forensics/solution.ts";

export function domainOf(nameOrAddress: string): string | null {
  const host = nameOrAddress.replace(/^.*@/, "").replace(/[<>[\]\s]/g, "").toLowerCase();
  if (!host.includes(".") || /^[\d.]+$/.test(host)) return null;
  return host;
}
