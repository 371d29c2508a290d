// Wrong answer: leaves the '>From ' escaping in the messages
// Splits correctly but leaves the writer's escaping in the text: the body says
// ">From the top of the lighthouse" where the sender wrote "From the top of the lighthouse".
export * from "../../../lessons/14-spam-forensics/solution.ts";
import { splitMbox as unescaped } from "../../../lessons/14-spam-forensics/solution.ts";

export function splitMbox(mbox: string): string[] {
  // the same split, then put the ">" back on every line that the reference unescaped
  return unescaped(mbox).map((message) => message.replace(/^(>*From )/gm, ">$1"));
}
