// Wrong answer: lets imapflow speak IMAP (the lesson's point, the protocol by hand, is skipped)
// Works — and the checker reads the imports. The reference client is re-exported so that only
// the import is wrong.
import { ImapFlow } from "imapflow";
export * from "../../../lessons/15-imap-by-hand/solution.ts";
export const library = ImapFlow;
