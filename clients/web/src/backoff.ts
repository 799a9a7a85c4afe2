/** Reconnect delays: exponential growth with full jitter. */
export interface BackoffOptions {
  /** Upper bound of the first delay, in milliseconds (default 500). */
  baseMs?: number;
  /** No delay is ever longer than this, in milliseconds (default 30000). */
  capMs?: number;
}

/**
 * Full-jitter delay for the given attempt (0 = first retry): a uniformly random
 * duration in [0, min(cap, base * 2^attempt)). Full jitter spreads a crowd of
 * clients that lost the same gateway at once over the whole window, instead of
 * having them retry in lockstep.
 */
export function fullJitterDelay(
  attempt: number,
  options: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 52));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(exp * r);
}

/** Counts failed attempts and hands out the next delay. Not thread-aware: one owner. */
export class Backoff {
  readonly options: Required<BackoffOptions>;
  private attempt = 0;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    const baseMs = options.baseMs ?? 500;
    const capMs = options.capMs ?? 30_000;
    if (!(baseMs > 0) || !(capMs >= baseMs)) {
      throw new RangeError(`backoff needs 0 < baseMs <= capMs (got ${baseMs}, ${capMs})`);
    }
    this.options = { baseMs, capMs };
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; counts one more failed attempt. */
  next(): number {
    return fullJitterDelay(this.attempt++, this.options, this.random);
  }

  /** After a successful connection: the next failure starts from baseMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
