// Disappearing messages in the web client library, on a fake clock: the server's expiry rule
// (read from the Rust sources, so the two cannot drift), the alarm at the earliest expiry, and
// the client hiding and deleting a message at its `expiresAt` (live, before any reload; when
// encrypted too; one that arrives late; its own sends under a timer; a reload after expiry).
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "../src/client/client";
import { ExpiryAlarm, expiryOf, isExpired, RETENTION_SECONDS, TIMER_SECONDS, timerLabel } from "../src/client/expiry";
import type { ServerFrame } from "../src/client/protocol";
import { openIdbStore, type StoredMessage } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

const DM = "d:alice:bob";
const DAY = 86_400;
let n = 0;

const rust = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

async function setup(name = `expiry-${++n}`, clock = new FakeClock()) {
  const server = new FakeServer();
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: "alice",
    tokenProvider: async () => "tok",
    store: await openIdbStore(name),
    socketFactory: server.factory,
    clock,
    newId: () => `id${++n}`,
  });
  const delivered: StoredMessage[] = [];
  const expired: { conversation: string; seq: number }[][] = [];
  parley.subscribe({ message: (m) => delivered.push(structuredClone(m)), expired: (gone) => expired.push(gone) });
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  const receive = async (...frames: (ServerFrame | Record<string, unknown>)[]) => {
    for (const frame of frames) server.last.receive(frame);
    await parley.settled();
  };
  /** Moves the fake clock and lets what its timers started finish. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await flush();
    await parley.settled();
  };
  await receive({ type: "synced", cursor: "p0", more: false });
  return { server, parley, clock, delivered, expired, receive, advance, name };
}

const message = (seq: number, ts: number, extra: Record<string, unknown> = {}) =>
  ({ type: "message", conversation: DM, seq, messageId: `M${seq}`, id: `f${seq}`, from: "bob", ts, cursor: `c${seq}`, body: `m${seq}`, ...extra });
const timer = (seq: number, ts: number, seconds: number, from = "bob") =>
  ({ type: "message", conversation: DM, seq, messageId: `M${seq}`, id: `t${seq}`, from, ts, cursor: `c${seq}`, kind: "timer", seconds });

describe("the expiry rule", () => {
  it("is the server's: the timers allowed, whole seconds after the send, never past the retention", () => {
    expect(rust("protocol/src/limits.rs")).toContain("pub const TIMER_SECONDS: [u64; 4] = [0, 24 * 60 * 60, 7 * 24 * 60 * 60, 90 * 24 * 60 * 60];");
    expect([...TIMER_SECONDS]).toEqual([0, DAY, 7 * DAY, 90 * DAY]);
    expect(rust("functions/core/src/message.rs")).toContain("pub const RETENTION_SECS: i64 = 30 * 24 * 60 * 60;");
    expect(RETENTION_SECONDS).toBe(30 * DAY);
    expect(expiryOf(1_700_000_000_400, DAY)).toBe((1_700_000_000 + DAY) * 1000);
    expect(expiryOf(1_700_000_000_000, 90 * DAY)).toBe((1_700_000_000 + 30 * DAY) * 1000);
    expect(expiryOf(1_700_000_000_000, 0)).toBeUndefined();
    expect(expiryOf(1_700_000_000_000, undefined)).toBeUndefined();
    expect(isExpired({ expiresAt: 10 }, 9)).toBe(false);
    expect(isExpired({ expiresAt: 10 }, 10)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(TIMER_SECONDS.map(timerLabel)).toEqual(["off", "24 hours", "7 days", "90 days"]);
  });

  it("the alarm fires once, at the earliest expiry it was told of, also beyond a browser's longest timeout", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const alarm = new ExpiryAlarm(clock, () => fired.push(clock.now()));
    const start = clock.now();
    alarm.at(start + 5_000);
    alarm.at(start + 9_000); // later: changes nothing
    alarm.at(start + 2_000); // earlier: brought forward
    expect(alarm.next).toBe(start + 2_000);
    clock.advance(1_999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([start + 2_000]);
    clock.advance(10_000);
    expect(fired).toHaveLength(1);
    // 90 days on: more than 2^31-1 ms, reached in steps, fired once and on time.
    const far = clock.now() + 90 * DAY * 1000;
    alarm.at(far);
    clock.advance(90 * DAY * 1000 - 1);
    expect(fired).toHaveLength(1);
    clock.advance(1);
    expect(fired.at(-1)).toBe(far);
  });
});

describe("disappearing messages in the client", () => {
  it("a timer entry is kept on the conversation and as a line; a message under it is hidden and deleted at its expiresAt", async () => {
    const { parley, clock, delivered, expired, receive, advance, name } = await setup();
    const now = clock.now();
    await receive(message(1, now - 1_000), timer(2, now, DAY));
    expect((await parley.conversation(DM))?.timer).toBe(DAY);
    await receive(message(3, now, { expiresAt: now + 60_000 }));
    expect(delivered.map((m) => [m.seq, m.kind, m.seconds, m.expiresAt])).toEqual([
      [1, undefined, undefined, undefined],
      [2, "timer", DAY, undefined],
      [3, undefined, undefined, now + 60_000],
    ]);
    expect((await parley.history(DM)).map((m) => m.seq)).toEqual([1, 2, 3]);

    await advance(59_999);
    expect(expired).toEqual([]);
    await advance(1);
    expect(expired).toEqual([[{ conversation: DM, seq: 3 }]]);
    expect((await parley.history(DM)).map((m) => m.seq)).toEqual([1, 2]);
    // Deleted from the store, not only hidden.
    const store = await openIdbStore(name);
    expect(await store.getMessage(DM, 2)).toMatchObject({ kind: "timer", seconds: DAY });
    expect(await store.getMessage(DM, 3)).toBeUndefined();
    store.close();
  });

  it("an encrypted message expires by its frame's expiresAt, though it is not readable here", async () => {
    const { parley, clock, expired, receive, advance } = await setup();
    const now = clock.now();
    await receive({ ...message(1, now, { expiresAt: now + 5_000, encrypted: "{\"ciphertext\":\"…\"}" }), body: undefined });
    const [stored] = await parley.history(DM);
    expect(stored?.sealed?.state).toBe("undecryptable");
    expect(stored?.expiresAt).toBe(now + 5_000);
    await advance(5_000);
    expect(expired).toEqual([[{ conversation: DM, seq: 1 }]]);
    expect(await parley.history(DM)).toEqual([]);
  });

  it("history leaves out a message past its time even before the alarm has deleted it", async () => {
    const { parley, clock, receive } = await setup();
    const now = clock.now();
    await receive(message(1, now, { expiresAt: now + 1_000 }), message(2, now));
    // The clock moves without the alarm's callback having run yet.
    (clock as unknown as { time: number }).time = now + 1_000;
    expect((await parley.history(DM)).map((m) => m.seq)).toEqual([2]);
  });

  it("a message that arrives after its expiry takes its seq but is never stored or shown", async () => {
    const { server, parley, clock, delivered, receive } = await setup();
    const now = clock.now();
    await receive(message(1, now - 10_000, { expiresAt: now - 1 }), message(2, now));
    expect(delivered.map((m) => m.seq)).toEqual([2]);
    expect((await parley.conversation(DM))?.lastSeq).toBe(2);
    expect((await parley.history(DM)).map((m) => m.seq)).toEqual([2]);
    // Counted as delivered (and acked as such); no sync for a gap.
    expect(server.last.sentOf("ack").map((a) => a.seq)).toEqual([1, 2]);
    expect(server.last.sentOf("sync")).toHaveLength(1);
  });

  it("this user's own send under a timer expires by the server's rule; the timer set from here is a line with no tick", async () => {
    const { server, parley, clock, expired, receive, advance } = await setup();
    const set = await parley.setTimer(DM, DAY);
    expect(server.last.sentOf("send").at(-1)).toEqual({ action: "send", id: set.id, conversation: DM, kind: "timer", seconds: DAY });
    const now = clock.now();
    await receive({ type: "sent", id: set.id, conversation: DM, seq: 1, messageId: "M1", ts: now });
    const [line] = await parley.history(DM);
    expect(line).toMatchObject({ seq: 1, kind: "timer", seconds: DAY, own: true });
    expect(line?.tick).toBeUndefined();
    expect((await parley.conversation(DM))?.timer).toBe(DAY);

    const sentAt = now + 1_234;
    const record = await parley.send({ conversation: DM, body: "secret" });
    await receive({ type: "sent", id: record.id, conversation: DM, seq: 2, messageId: "M2", ts: sentAt });
    const mine = (await parley.history(DM)).find((m) => m.seq === 2);
    expect(mine?.expiresAt).toBe((Math.floor(sentAt / 1000) + DAY) * 1000);
    await advance(mine!.expiresAt! - clock.now() - 1);
    expect(expired).toEqual([]);
    await advance(1);
    expect(expired).toEqual([[{ conversation: DM, seq: 2 }]]);

    // Turned off: the next own message does not expire.
    const off = await parley.setTimer(DM, 0);
    await receive({ type: "sent", id: off.id, conversation: DM, seq: 3, messageId: "M3", ts: clock.now() });
    const later = await parley.send({ conversation: DM, body: "kept" });
    await receive({ type: "sent", id: later.id, conversation: DM, seq: 4, messageId: "M4", ts: clock.now() });
    expect((await parley.history(DM)).map((m) => [m.seq, m.expiresAt])).toEqual([[1, undefined], [3, undefined], [4, undefined]]);
  });

  it("without a timer entry seen, the others' messages say which timer is in force, for this user's own sends", async () => {
    const { parley, clock, receive } = await setup();
    const now = clock.now();
    await receive(message(1, now, { expiresAt: (Math.floor(now / 1000) + DAY) * 1000 }));
    expect((await parley.conversation(DM))?.timer).toBe(DAY);
    const record = await parley.send({ conversation: DM, body: "mine" });
    await receive({ type: "sent", id: record.id, conversation: DM, seq: 2, messageId: "M2", ts: now + 5_000 });
    expect((await parley.history(DM)).find((m) => m.seq === 2)?.expiresAt).toBe((Math.floor((now + 5_000) / 1000) + DAY) * 1000);
    // A message with no expiry: no timer any more.
    await receive(message(3, now + 6_000));
    expect((await parley.conversation(DM))?.timer).toBe(0);
  });

  it("what expired while the page was closed is deleted when it opens again", async () => {
    const clock = new FakeClock();
    const first = await setup(`expiry-reload-${++n}`, clock);
    const now = clock.now();
    await first.receive(message(1, now, { expiresAt: now + 60_000 }), message(2, now));
    first.parley.stop();
    (clock as unknown as { time: number }).time = now + 120_000; // closed: no alarm ran
    const second = await setup(first.name, clock);
    expect(second.expired).toEqual([[{ conversation: DM, seq: 1 }]]);
    expect((await second.parley.history(DM)).map((m) => m.seq)).toEqual([2]);
  });
});
