// Wrong answer: takes any Message-ID as well formed
// Any Message-ID will do. RFC 5322 §3.6.4 says <left@right>; spam programs write
// "<001a01c9$8f2e3b40$4d6433c6>" (no @), "20261122093000.12345@…" (no brackets), spaces…
export * from "../../../lessons/14-spam-forensics/solution.ts";

export function messageIdWellFormed(messageId: string | null): boolean {
  return messageId !== null && messageId.trim() !== "";
}
