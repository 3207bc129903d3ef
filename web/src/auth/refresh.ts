/**
 * When to refresh the session: a few minutes before the ID token expires, so the WebSocket
 * handshake and the reconnect before API Gateway's 2-hour limit always get a token that is
 * valid (the server refuses expired tokens at the handshake and closes with `unauthorized`
 * mid-connection). Pure and clock-injected for tests.
 */
import type { Clock, TimerHandle } from "../client/clock";

export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** Never busier than this, even for a token that is (nearly) expired already. */
export const MIN_REFRESH_DELAY_MS = 10 * 1000;

export function refreshDelay(expiresAtMs: number, nowMs: number, marginMs = REFRESH_MARGIN_MS): number {
  return Math.max(MIN_REFRESH_DELAY_MS, expiresAtMs - marginMs - nowMs);
}

/**
 * Keeps one refresh timer: `schedule(exp)` after every sign-in or refresh; `refresh` is
 * expected to call `schedule` again with the new token's expiry, and a failed refresh tries
 * again after the minimum delay.
 */
export class RefreshScheduler {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly refresh: () => Promise<number | undefined>,
  ) {}

  schedule(expiresAtMs: number): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.refresh().then(
        (next) => {
          if (next !== undefined) this.schedule(next);
        },
        () => this.schedule(this.clock.now() + REFRESH_MARGIN_MS),
      );
    }, refreshDelay(expiresAtMs, this.clock.now()));
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
