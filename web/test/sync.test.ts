import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "../src/client/client";
import type { ServerFrame } from "../src/client/protocol";
import { openIdbStore, type StoredMessage } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

let dbCounter = 0;
const ME = "alice";
const DIRECT = "d:alice:bob";

async function setup(name = `sync-${++dbCounter}`) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const store = await openIdbStore(name);
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: ME,
    tokenProvider: async () => "tok",
    store,
    socketFactory: server.factory,
    clock,
    random: () => 0.5,
    newId: () => `id${++dbCounter}`,
    syncPageSize: 2,
  });
  const delivered: StoredMessage[] = [];
  parley.subscribe({ message: (m) => delivered.push(structuredClone(m)) });
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  const receive = async (...frames: (ServerFrame | Record<string, unknown>)[]) => {
    for (const frame of frames) server.last.receive(frame);
    await parley.settled();
  };
  return { clock, server, store, parley, delivered, receive, name };
}

function message(seq: number, from = "bob", conversation = DIRECT): ServerFrame {
  return { type: "message", conversation, seq, messageId: `M${conversation}${seq}`, id: `f${seq}`, from, ts: seq, cursor: `k${seq}`, body: `m${seq}` };
}

const seqs = (messages: StoredMessage[], conversation = DIRECT) =>
  messages.filter((m) => m.conversation === conversation).map((m) => m.seq);

describe("sync", () => {
  it("syncs on connect from the stored cursor, paging while more is true", async () => {
    const name = `sync-${++dbCounter}`;
    const pre = await openIdbStore(name);
    await pre.setCursor("stored-cursor");
    pre.close();
    const { server, receive, store, delivered } = await setup(name);
    expect(server.last.sentOf("sync")).toEqual([{ action: "sync", cursor: "stored-cursor", limit: 2 }]);
    await receive(message(1), message(2), { type: "synced", cursor: "p1", more: true });
    expect(server.last.sentOf("sync")[1]).toEqual({ action: "sync", cursor: "p1", limit: 2 });
    expect(await store.getCursor()).toBe("p1");
    await receive(message(3), { type: "synced", cursor: "p2", more: false });
    expect(await store.getCursor()).toBe("p2");
    expect(seqs(delivered)).toEqual([1, 2, 3]);
  });

  it("drops repeats by (conversation, seq): live and synced copies, and the 30 s overlap", async () => {
    const { receive, delivered, store } = await setup();
    await receive(message(1), message(2), { type: "synced", cursor: "p1", more: false });
    await receive(message(2), message(3), message(1), message(3), message(1, "bob", "g:x"));
    expect(seqs(delivered)).toEqual([1, 2, 3]);
    expect(seqs(delivered, "g:x")).toEqual([1]);
    expect((await store.listMessages(DIRECT)).map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("holds a message after a gap, syncs, and delivers in order once the gap fills", async () => {
    const { server, receive, delivered } = await setup();
    await receive(message(1), { type: "synced", cursor: "p1", more: false });
    await receive(message(4));
    expect(seqs(delivered)).toEqual([1]);
    expect(server.last.sentOf("sync")).toEqual([
      { action: "sync", limit: 2 },
      { action: "sync", cursor: "p1", limit: 2 },
    ]);
    await receive(message(2), message(3), { type: "synced", cursor: "p2", more: false });
    expect(seqs(delivered)).toEqual([1, 2, 3, 4]);
  });

  it("after a complete sync, delivers what is left behind a gap the mailbox cannot fill", async () => {
    // A member added to a group later: the mailbox starts at the `added` message (seq 5).
    const { server, receive, delivered, parley } = await setup();
    await receive(message(5, "carol", "g:new"), message(6, "carol", "g:new"));
    expect(seqs(delivered, "g:new")).toEqual([]);
    // The gap showed up while the sync ran, so one more sync checks for 1–4 first.
    await receive({ type: "synced", cursor: "p1", more: false });
    expect(seqs(delivered, "g:new")).toEqual([]);
    expect(server.last.sentOf("sync")).toHaveLength(2);
    await receive(message(5, "carol", "g:new"), message(6, "carol", "g:new"), { type: "synced", cursor: "p2", more: false });
    expect(seqs(delivered, "g:new")).toEqual([5, 6]);
    expect(server.last.sentOf("sync")).toHaveLength(2);
    await receive(message(7, "carol", "g:new"));
    expect(seqs(delivered, "g:new")).toEqual([5, 6, 7]);
    expect((await parley.conversations()).find((c) => c.conversation === "g:new")?.lastSeq).toBe(7);
  });

  it("a gap seen during a running sync gets one more sync before giving up on it", async () => {
    const { server, receive, delivered } = await setup();
    await receive(message(1), message(3)); // 3 arrives live while the first sync runs
    await receive({ type: "synced", cursor: "p1", more: false });
    expect(seqs(delivered)).toEqual([1]);
    expect(server.last.sentOf("sync")).toHaveLength(2);
    await receive(message(2), message(3), { type: "synced", cursor: "p2", more: false });
    expect(seqs(delivered)).toEqual([1, 2, 3]);
  });

  it("keeps the stored cursor while messages wait behind a gap", async () => {
    const { receive, store } = await setup();
    await receive(message(1), message(3), { type: "synced", cursor: "p1", more: true });
    expect(await store.getCursor()).toBeUndefined();
  });

  it("own `sent` fills its seq, so the next message from the other side is no gap", async () => {
    const { server, receive, delivered, parley } = await setup();
    await receive(message(1), { type: "synced", cursor: "p1", more: false });
    const record = await parley.send({ conversation: DIRECT, body: "mine" });
    await receive({ type: "sent", id: record.id, conversation: DIRECT, seq: 2, messageId: "M2", ts: 2 });
    await receive(message(3));
    expect(seqs(delivered)).toEqual([1, 2, 3]);
    expect(server.last.sentOf("sync")).toHaveLength(1);
  });

  it("a skip (an entry from a blocked user) fills its seq: no gap, nothing shown, stored or acked for it", async () => {
    const { server, receive, delivered, store, parley } = await setup();
    await receive(message(1), { type: "synced", cursor: "p1", more: false });
    await receive({ type: "skip", conversation: DIRECT, seq: 2, cursor: "k2" });
    expect(seqs(delivered)).toEqual([1]);
    expect(server.last.sentOf("ack").map((a) => a.seq)).toEqual([1]);
    expect((await parley.conversation(DIRECT))?.lastSeq).toBe(2);
    await receive(message(3));
    expect(seqs(delivered)).toEqual([1, 3]);
    // No sync for a gap: the skip filled seq 2.
    expect(server.last.sentOf("sync")).toHaveLength(1);
    expect(server.last.sentOf("ack").map((a) => a.seq)).toEqual([1, 3]);
    expect((await store.listMessages(DIRECT)).map((m) => m.seq)).toEqual([1, 3]);
  });

  it("a skip closes a gap a later message waits behind, and counts in sync like a message", async () => {
    const { server, receive, delivered, store } = await setup();
    await receive(message(1), { type: "synced", cursor: "p1", more: false });
    await receive(message(3));
    expect(seqs(delivered)).toEqual([1]);
    expect(server.last.sentOf("sync")).toHaveLength(2);
    // The sync answers the missing seq as a skip: 3 is released, and the cursor moves on.
    await receive({ type: "skip", conversation: DIRECT, seq: 2, cursor: "k2" }, { type: "synced", cursor: "p2", more: false });
    expect(seqs(delivered)).toEqual([1, 3]);
    expect(await store.getCursor()).toBe("p2");
    expect(server.last.sentOf("sync")).toHaveLength(2);
    // A repeat of the skip (sync's overlap) changes nothing.
    await receive({ type: "skip", conversation: DIRECT, seq: 2, cursor: "k2" });
    expect(seqs(delivered)).toEqual([1, 3]);
    expect((await store.getMessage(DIRECT, 2))).toBeUndefined();
  });

  it("a conversation whose first entries are skipped shows and acks nothing, until its next message", async () => {
    const { receive, delivered, parley, server } = await setup();
    await receive({ type: "skip", conversation: "g:x", seq: 1, cursor: "k1" }, { type: "skip", conversation: "g:x", seq: 2, cursor: "k2" });
    await receive({ type: "synced", cursor: "p1", more: false });
    expect(seqs(delivered, "g:x")).toEqual([]);
    expect(server.last.sentOf("ack")).toEqual([]);
    await receive(message(3, "carol", "g:x"));
    expect(seqs(delivered, "g:x")).toEqual([3]);
    expect((await parley.conversation("g:x"))?.lastSeq).toBe(3);
  });

  it("acks delivery of the newest message from others, and read when told", async () => {
    const { server, receive, parley } = await setup();
    await receive(message(1), message(2), { type: "synced", cursor: "p1", more: false });
    expect(server.last.sentOf("ack")).toEqual([
      { action: "ack", conversation: DIRECT, seq: 1, status: "delivered" },
      { action: "ack", conversation: DIRECT, seq: 2, status: "delivered" },
    ]);
    await parley.markRead(DIRECT, 2);
    await parley.markRead(DIRECT, 1); // lower: nothing to send
    expect(server.last.sentOf("ack").slice(2)).toEqual([{ action: "ack", conversation: DIRECT, seq: 2, status: "read" }]);
  });
});

describe("ticks from receipts", () => {
  it("moves own messages sent → delivered → read, never back", async () => {
    const { receive, parley, store } = await setup();
    await receive({ type: "synced", cursor: "p0", more: false });
    const a = await parley.send({ toUser: "bob", body: "one" });
    await receive({ type: "sent", id: a.id, conversation: DIRECT, seq: 1, messageId: "M1", ts: 1 });
    const b = await parley.send({ toUser: "bob", body: "two" });
    await receive({ type: "sent", id: b.id, conversation: DIRECT, seq: 2, messageId: "M2", ts: 2 });
    await receive({ type: "receipt", conversation: DIRECT, seq: 1, by: "bob", status: "delivered" });
    expect((await store.listMessages(DIRECT)).map((m) => m.tick)).toEqual(["delivered", "sent"]);
    await receive({ type: "receipt", conversation: DIRECT, seq: 2, by: "bob", status: "read" });
    await receive({ type: "receipt", conversation: DIRECT, seq: 2, by: "bob", status: "delivered" });
    expect((await store.listMessages(DIRECT)).map((m) => m.tick)).toEqual(["read", "read"]);
  });

  it("in a group, waits for every other member", async () => {
    const { receive, parley, store } = await setup();
    const group = "g:climb";
    await receive(
      { type: "message", conversation: group, seq: 1, messageId: "G1", id: "g-1", from: "bob", ts: 1, cursor: "k", system: { event: "created", members: ["alice", "bob", "carol"], name: "Climbing" } },
      { type: "synced", cursor: "p1", more: false },
    );
    const m = await parley.send({ conversation: group, body: "Saturday?" });
    await receive({ type: "sent", id: m.id, conversation: group, seq: 2, messageId: "G2", ts: 2 });
    expect((await store.getMessage(group, 2))?.recipients?.sort()).toEqual(["bob", "carol"]);
    await receive({ type: "receipt", conversation: group, seq: 2, by: "bob", status: "read" });
    expect((await store.getMessage(group, 2))?.tick).toBe("sent");
    await receive({ type: "receipt", conversation: group, seq: 2, by: "carol", status: "delivered" });
    expect((await store.getMessage(group, 2))?.tick).toBe("delivered");
    await receive({ type: "receipt", conversation: group, seq: 2, by: "carol", status: "read" });
    expect((await store.getMessage(group, 2))?.tick).toBe("read");
  });
});
