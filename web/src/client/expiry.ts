/**
 * Disappearing messages (docs/protocol.md "Disappearing messages"): a conversation's timer is
 * set by a `timer` entry (`seconds`: 0 off, 24 hours, 7 days, 90 days); every entry sent
 * after it carries `expiresAt`, when clients hide and delete their copy, whether or not the
 * server's storage has deleted it yet.
 *
 * What is here is the rule and the one timer: when a message sent at `ts` under a timer
 * expires (the server's rule, for this device's own sends, whose `sent` does not say), whether
 * a message is past it, and `ExpiryAlarm`, which fires at the earliest expiry it was told of
 * (the client then deletes what is due and sets it again for the next).
 */
import type { Clock, TimerHandle } from "./clock";

/** The timers a conversation may have, in seconds (protocol/src/limits.rs `TIMER_SECONDS`). */
export const TIMER_SECONDS = [0, 24 * 60 * 60, 7 * 24 * 60 * 60, 90 * 24 * 60 * 60] as const;
/** How long the server keeps a message at most (functions/core `RETENTION_SECS`, 30 days). */
export const RETENTION_SECONDS = 30 * 24 * 60 * 60;

/**
 * When a message sent at `ts` (ms) under a timer of `seconds` expires, in ms: the server's
 * rule (whole seconds after `ts`'s second, never past the 30-day retention); undefined when
 * no timer is on.
 */
export function expiryOf(ts: number, seconds: number | undefined): number | undefined {
  if (seconds === undefined || seconds <= 0) return undefined;
  return (Math.floor(ts / 1000) + Math.min(seconds, RETENTION_SECONDS)) * 1000;
}

/** Whether a message is past its `expiresAt` at `now` (ms): to hide and delete. */
export function isExpired(message: { expiresAt?: number }, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}

/** How a timer reads in the UI: "24 hours", "7 days", "90 days", or "off". */
export function timerLabel(seconds: number | undefined): string {
  if (seconds === undefined || seconds <= 0) return "off";
  const days = seconds / 86_400;
  if (days === 1) return "24 hours";
  if (Number.isInteger(days)) return `${days} days`;
  const hours = seconds / 3_600;
  return Number.isInteger(hours) ? `${hours} hours` : `${seconds} seconds`;
}

/**
 * One alarm at the earliest expiry it was told of. `at` keeps the earlier of the two; `fire`
 * runs when the clock reaches it (and the alarm is then unset, for the owner to set again
 * for the next expiry). Browsers cap a timeout at 2^31-1 ms (24.8 days): a later expiry is
 * reached in steps.
 */
export class ExpiryAlarm {
  private due: number | undefined;
  private handle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** When it will fire (for tests and diagnostics). */
  get next(): number | undefined {
    return this.due;
  }

  /** Fires at `expiresAt` unless it is set to fire earlier already. */
  at(expiresAt: number | undefined): void {
    if (expiresAt === undefined || (this.due !== undefined && this.due <= expiresAt)) return;
    this.cancel();
    this.due = expiresAt;
    this.arm();
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.due = undefined;
  }

  private arm(): void {
    const due = this.due;
    if (due === undefined) return;
    const wait = Math.min(Math.max(due - this.clock.now(), 0), MAX_TIMEOUT_MS);
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      if (this.clock.now() < due) {
        this.arm();
        return;
      }
      this.due = undefined;
      this.fire();
    }, wait);
  }
}

const MAX_TIMEOUT_MS = 2_147_483_647;
