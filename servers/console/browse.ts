// The console's views of what the servers stored: mailboxes, the FTP tree, newsgroups.
// (Filled in by the console's browse part; the router in ./index.ts calls handleBrowse.)

import type http from "node:http";
import type { Viewer } from "./viewer.ts";

export interface BrowseContext {
  /** The playground's data dir: Maildirs, FTP files, news spool live under it. */
  dataDir: string;
}

/** Answers /console/api/mailboxes…, /console/api/ftp…, /console/api/news…; false if the path is not one of these. */
export async function handleBrowse(
  _request: http.IncomingMessage,
  _response: http.ServerResponse,
  _path: string,
  _viewer: Viewer,
  _context: BrowseContext,
): Promise<boolean> {
  return false;
}
