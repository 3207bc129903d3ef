import { describe, expect, it } from "vitest";
import { MIN_REFRESH_DELAY_MS, REFRESH_MARGIN_MS, RefreshScheduler, refreshDelay } from "../src/auth/refresh";
import { attributesFor } from "../src/auth/cognito";
import { FakeClock, flush } from "./fakes";

describe("token refresh timing", () => {
  it("refreshes five minutes before expiry, never sooner than ten seconds from now", () => {
    expect(refreshDelay(60 * 60_000, 0)).toBe(60 * 60_000 - REFRESH_MARGIN_MS);
    expect(refreshDelay(60_000, 0)).toBe(MIN_REFRESH_DELAY_MS);
    expect(refreshDelay(0, 60_000)).toBe(MIN_REFRESH_DELAY_MS);
  });

  it("refreshes on time, then again before the new token's expiry; retries after a failure", async () => {
    const clock = new FakeClock();
    const hour = 60 * 60_000;
    const calls: number[] = [];
    let fail = false;
    const scheduler = new RefreshScheduler(clock, async () => {
      calls.push(clock.now());
      if (fail) throw new Error("offline");
      return clock.now() + hour;
    });
    const start = clock.now();
    scheduler.schedule(start + hour);
    clock.advance(hour - REFRESH_MARGIN_MS - 1);
    await flush();
    expect(calls).toEqual([]);
    clock.advance(1);
    await flush();
    expect(calls).toEqual([start + hour - REFRESH_MARGIN_MS]);
    fail = true;
    clock.advance(hour - REFRESH_MARGIN_MS);
    await flush();
    expect(calls).toHaveLength(2);
    fail = false;
    clock.advance(hour);
    await flush();
    expect(calls).toHaveLength(3);
    scheduler.cancel();
    clock.advance(10 * hour);
    await flush();
    expect(calls).toHaveLength(3);
  });
});

describe("sign-up attributes", () => {
  it("sends a phone number (E.164) as phone_number and anything else as email", () => {
    expect(attributesFor("+15550100123")).toEqual({ phone_number: "+15550100123" });
    expect(attributesFor("bob@example.com")).toEqual({ email: "bob@example.com" });
  });
});
