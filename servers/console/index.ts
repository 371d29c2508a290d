// The playground console at /console/: every conversation live, and what the servers stored.
// (Filled in by the console's live part: the session store, the JSON API, SSE, login.)

import type http from "node:http";
import type { Activity } from "../activity.ts";
import { handleBrowse, type BrowseContext } from "./browse.ts";

export interface Console {
  /** Give this to every server: it records their sessions. */
  activity: Activity;
  /** Answers /console/…; false if the request is not the console's. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<boolean>;
}

export function createConsole(context: BrowseContext): Console {
  const ignore = () => {};
  return {
    activity: { sessionOpened: ignore, sessionLine: ignore, sessionChanged: ignore, sessionClosed: ignore, stored: ignore },
    async handle(request, response) {
      const path = new URL(request.url ?? "/", "http://playground").pathname;
      if (!path.startsWith("/console/")) return false;
      return handleBrowse(request, response, path, { teacher: true }, context);
    },
  };
}
