// Wrong answer: knows inbox.mbox's verdicts by heart (judges nothing)
// Learns inbox.mbox by heart. Every spam and phish of inbox.mbox is recognised by
// its subject — and a new lure, with a new subject, walks straight in. The held-out mailbox
// catches this: a scorer must judge what the headers and links say.
export * from "../../../lessons/14-spam-forensics/solution.ts";
import { inspect, type Verdict } from "../../../lessons/14-spam-forensics/solution.ts";

const KNOWN_BAD = [
  "V1AGRA 80% OFF - no prescription needed",
  "Congratulations! You have won €1.000.000",
  "Page 1 of Google for example.com - guaranteed!",
  "发票代开，优惠多多",
  "Work from home - earn 500 EUR a day",
  "Quick question about example.com",
  "Unusual sign-in activity on your account",
  "Your mailbox is 98% full - action required",
  "Delivery attempt failed: your parcel is waiting",
  "Action required: confirm your card details",
  "Your online banking access will expire",
  "Please sign in to review a pending payment",
  "Password expires today – keep your password",
];

export async function isSuspicious(raw: string): Promise<Verdict> {
  const { subject } = await inspect(raw);
  const known = KNOWN_BAD.includes(subject);
  return { score: known ? 10 : 0, suspicious: known, reasons: known ? ["+10 this subject was spam in inbox.mbox"] : [] };
}
