import { describe, expect, it } from "vitest";
import { Backoff } from "../src/client/backoff";

describe("Backoff", () => {
  it("doubles its ceiling per failure up to the cap, and draws under it", () => {
    const backoff = new Backoff({ baseMs: 500, capMs: 4_000, random: () => 0.999 });
    const delays = Array.from({ length: 6 }, () => backoff.next());
    expect(delays).toEqual([499, 999, 1998, 3996, 3996, 3996]);
  });

  it("uses the random draw as full jitter", () => {
    const low = new Backoff({ baseMs: 1_000, capMs: 60_000, random: () => 0 });
    expect([low.next(), low.next()]).toEqual([0, 0]);
    const half = new Backoff({ baseMs: 1_000, capMs: 60_000, random: () => 0.5 });
    expect([half.next(), half.next(), half.next()]).toEqual([500, 1000, 2000]);
  });

  it("starts over after reset", () => {
    const backoff = new Backoff({ baseMs: 100, capMs: 10_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });
});
