// Who is looking at the console. On loopback everyone is the teacher; beyond loopback the
// console asks for a login (servers/console/auth.ts): the teacher password sees everything,
// a playground account sees only its own sessions and its own mailbox / FTP home.

export type Viewer = { teacher: true } | { teacher: false; account: string };

/** May this viewer see something that belongs to `account` (a session's login, a mailbox's address)? */
export function maySee(viewer: Viewer, account: string | undefined): boolean {
  return viewer.teacher || (account !== undefined && account.toLowerCase() === viewer.account.toLowerCase());
}
