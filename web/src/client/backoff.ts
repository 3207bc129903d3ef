/**
 * Exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base·2ⁿ)).
 * Full jitter spreads the reconnects of many clients after an outage instead of having them
 * all knock at once.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** A number in [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  /** The ceiling the next call draws under (for tests and diagnostics). */
  ceiling(): number {
    return Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt);
  }

  reset(): void {
    this.attempt = 0;
  }
}
