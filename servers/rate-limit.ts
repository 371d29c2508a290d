// "At most N a minute" per key (a client address, an account name): a TOKEN BUCKET.
//
// Each key has a bucket that holds up to N tokens and starts full. Every action takes one; the
// bucket refills continuously at N per minute. So a quiet client may do N things in a burst,
// and a busy one settles at N a minute — never more, however it spreads its attempts.
// The NNTP server limits POST this way (servers/news/nntp.ts).

/** Buckets kept before full ones (keys idle for a minute or more) are forgotten. */
const FORGET_ABOVE = 1000;

export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `perMinute`: Infinity = no limit. */
  constructor(readonly perMinute: number) {}

  /** Seconds until `key` may act again: 0 = now. */
  secondsUntilFree(key: string, now = Date.now()): number {
    const tokens = this.tokens(key, now);
    if (tokens >= 1) return 0;
    return Math.ceil(((1 - tokens) * 60) / this.perMinute);
  }

  /** Takes a token for one action of `key` (check secondsUntilFree first). */
  take(key: string, now = Date.now()): void {
    if (this.perMinute === Infinity) return;
    this.buckets.set(key, { tokens: this.tokens(key, now) - 1, at: now });
    if (this.buckets.size > FORGET_ABOVE) this.forgetFull(now);
  }

  /** The tokens in `key`'s bucket now: what was left, plus what flowed in since. */
  private tokens(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket || this.perMinute === Infinity) return this.perMinute;
    return Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
  }

  /** A full bucket is the same as no bucket: drop those, so the map does not grow without end. */
  private forgetFull(now: number): void {
    for (const key of this.buckets.keys()) if (this.tokens(key, now) >= this.perMinute) this.buckets.delete(key);
  }
}
