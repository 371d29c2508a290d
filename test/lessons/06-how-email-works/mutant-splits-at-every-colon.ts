// Wrong answer: splits a header at every colon (loses the rest of 'Subject: Re: …')
// `line.split(":")` takes the part between the first and the second colon as
// the value. "Subject: Re: three hops: a test" becomes "Re", and a date loses its minutes.
export * from "../../../lessons/06-how-email-works/solution.ts";
import { unfoldHeaders as correctHeaders, type Header } from "../../../lessons/06-how-email-works/solution.ts";

export function unfoldHeaders(raw: string): Header[] {
  return correctHeaders(raw).map(({ name, value }) => ({ name, value: value.split(":")[0]!.trim() }));
}
