// Wrong answer: progress speed in bytes per millisecond, not per second
// Divides the bytes by the elapsed MILLIseconds and calls it bytes per second:
// the speed shown is 1000 times too small.
export * from "../../../lessons/12-ftp-tools/solution.ts";

export function progressLine(done: number, total: number, elapsedMs: number, width = 20): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  const perSecond = elapsedMs > 0 ? done / elapsedMs : 0; // the mistake: no × 1000
  return `[${bar}] ${percent}%  ${formatBytes(perSecond)}/s`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
