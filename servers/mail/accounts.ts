// The playground's mail accounts: two fictional providers, one user each.
//
//   example.com — the sender's provider: you submit mail to its SMTP server (port 2525).
//   example.org — the recipient's provider: its MX server (port 2526) receives mail for it.
//
// The passwords are public demo passwords. The playground listens on loopback by default, so
// only programs on this machine can use them.

export interface MailAccount {
  /** Lower-case e-mail address, e.g. "me@example.com"; also the name of its Maildir. */
  address: string;
  password: string;
}

export const DEFAULT_MAIL_ACCOUNTS: MailAccount[] = [
  { address: "me@example.com", password: "secret" },
  { address: "friend@example.org", password: "secret" },
];

/** The domain part of an address, lower-cased: "Me@Example.COM" → "example.com". */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** The account with this address (addresses are compared case-insensitively), if there is one. */
export function findAccount(accounts: MailAccount[], address: string): MailAccount | undefined {
  const wanted = address.toLowerCase();
  return accounts.find((account) => account.address.toLowerCase() === wanted);
}
