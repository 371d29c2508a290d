// Wrong answer: rounds the bar down (Math.floor), not to the nearest character
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function progressLine(done: number, total: number, elapsedMs: number, width = 20): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.floor(fraction * width);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  const perSecond = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const speed = perSecond < 1024 ? `${Math.round(perSecond)} B` : perSecond < 1024 * 1024 ? `${(perSecond / 1024).toFixed(1)} KB` : `${(perSecond / 1024 / 1024).toFixed(1)} MB`;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent}%  ${speed}/s`;
}
