// Wrong answer: reads the PASV port as p1 + p2 instead of p1 × 256 + p2
// Adds the two port numbers of the PASV reply. (127,0,0,1,117,48) is port
// 117 × 256 + 48 = 30000 — the first number is the high byte — not 117 + 48 = 165.
export * from "../../../lessons/11-ftp-by-hand/solution.ts";

export function parsePasvReply(reply: string): { host: string; port: number } {
  const match = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(reply);
  if (!match) throw new Error(`not a PASV reply (no h1,h2,h3,h4,p1,p2 in it): ${JSON.stringify(reply)}`);
  const [h1, h2, h3, h4, p1, p2] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return { host: `${h1}.${h2}.${h3}.${h4}`, port: p1 + p2 };
}
