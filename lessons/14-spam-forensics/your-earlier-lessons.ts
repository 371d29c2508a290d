// Lesson 14 builds on your own code: lesson 01's address converter and lesson 06's header
// reader. This file hands them to your exercise — and if one of them is still a todo() stub,
// it says so, instead of failing somewhere deep inside lesson 14.

import * as lesson01 from "../01-addresses-and-ports/exercise.ts";
import * as lesson06 from "../06-how-email-works/exercise.ts";
import { NotImplementedError } from "../not-implemented.ts";

export type { Header, Hop } from "../06-how-email-works/exercise.ts";

/** Lesson 01: 3221225999 → "192.0.2.15". */
export function intToIpv4(value: number): string {
  return yours("intToIpv4", "01", () => lesson01.intToIpv4(value));
}

/** Lesson 06: the header section of a raw message, unfolded, in order. */
export function unfoldHeaders(raw: string): lesson06.Header[] {
  return yours("unfoldHeaders", "06", () => lesson06.unfoldHeaders(raw));
}

/** Lesson 06: the Received: stamps of a raw message, oldest hop first. */
export function receivedHops(raw: string): lesson06.Hop[] {
  return yours("receivedHops", "06", () => lesson06.receivedHops(raw));
}

function yours<T>(name: string, lesson: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof NotImplementedError) {
      throw new Error(`lesson 14 uses your ${name} from lesson ${lesson} — finish it first: npm test -- ${lesson}`);
    }
    throw err;
  }
}
