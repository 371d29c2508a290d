// Wrong answer: counts 1 KB as 1000 bytes (the lesson says 1024)
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function progressLine(done: number, total: number, elapsedMs: number, width = 20): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * width);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  const perSecond = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const speed = perSecond < 1000 ? `${Math.round(perSecond)} B` : perSecond < 1000 * 1000 ? `${(perSecond / 1000).toFixed(1)} KB` : `${(perSecond / 1000 / 1000).toFixed(1)} MB`;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent}%  ${speed}/s`;
}
