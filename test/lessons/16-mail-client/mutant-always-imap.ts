// Wrong answer: openMailbox ignores the protocol the user chose and always speaks IMAP
// "POP3 is old, everyone has IMAP": but the user chose, and the port they gave is a POP3 server's.
// (Against a POP3 port, an IMAP client waits for a "* OK" greeting that never comes.)
export * from "../../../lessons/16-mail-client/solution.ts";
import { ImapMailbox, type Mailbox, type MailboxOptions } from "../../../lessons/16-mail-client/solution.ts";

export async function openMailbox(options: MailboxOptions): Promise<Mailbox> {
  return ImapMailbox.open(options);
}
