// Wrong answer: lists the hops newest first (forgets that servers prepend their stamp)
// Reads the stamps top to bottom. But every server PREPENDS its Received:
// header, so the topmost stamp is the newest: this path runs backwards, recipient to sender.
export * from "../../../lessons/06-how-email-works/solution.ts";
import { receivedHops as oldestFirst, type Hop } from "../../../lessons/06-how-email-works/solution.ts";

export function receivedHops(raw: string): Hop[] {
  return oldestFirst(raw).reverse();
}
