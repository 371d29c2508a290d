// Wrong answer: takes the link's host from the text it shows
// Takes the host from what the link SHOWS. A human reads the text; the browser
// goes to the href. "www.bank.example/login" on top of http://192.0.2.15/… goes to 192.0.2.15.
export * from "../../../lessons/14-spam-forensics/solution.ts";
import { classifyHost, findLinks as realLinks, type Link } from "../../../lessons/14-spam-forensics/solution.ts";

export function findLinks(html: string | null, text: string | null): Link[] {
  return realLinks(html, text).map((link) => {
    const shown = /(?:https?:\/\/)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/i.exec(link.shownText)?.[1]?.toLowerCase();
    if (shown === undefined) return link;
    return { ...link, host: shown, ...classifyHost(shown), mismatch: false };
  });
}
