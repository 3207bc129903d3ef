import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "../src/client/client";
import { openIdbStore } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

let dbCounter = 0;
const ME = "alice";
const BOB = "bob";

async function client(dbName: string, clock = new FakeClock(), server = new FakeServer()) {
  const store = await openIdbStore(dbName);
  let n = 0;
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: ME,
    tokenProvider: async () => "tok",
    store,
    socketFactory: server.factory,
    clock,
    random: () => 0.5,
    newId: () => `${dbName}-m${++n}`,
    replyTimeoutMs: 30_000,
  });
  return { parley, store, clock, server };
}

/** Connects and answers the initial sync with an empty page. */
async function connect(c: Awaited<ReturnType<typeof client>>) {
  await c.parley.start();
  await flush();
  c.server.last.open();
  await c.parley.settled();
  await flush();
  c.server.last.receive({ type: "synced", cursor: "c0", more: false });
  await c.parley.settled();
}

function sentFrame(id: string, seq: number) {
  return { type: "sent" as const, id, conversation: "d:alice:bob", seq, messageId: `M${seq}`, ts: 1 };
}

describe("outbox", () => {
  it("stores a send before it goes, and a reload sends it with the same id", async () => {
    const name = `outbox-${++dbCounter}`;
    const first = await client(name);
    await first.parley.start(); // never opens: offline
    await flush();
    const record = await first.parley.send({ toUser: BOB, body: "hello" });
    expect((await first.store.listOutbox()).map((r) => r.id)).toEqual([record.id]);
    expect(first.server.last.sent).toEqual([]);
    first.parley.stop();
    first.store.close();

    // The page reloads: a new client on the same database.
    const second = await client(name);
    await connect(second);
    await flush();
    const sends = second.server.last.sentOf("send");
    expect(sends).toEqual([{ action: "send", id: record.id, toUser: BOB, body: "hello" }]);

    second.server.last.receive(sentFrame(record.id, 1));
    await second.parley.settled();
    expect(await second.store.listOutbox()).toEqual([]);
    const stored = await second.store.getMessage("d:alice:bob", 1);
    expect(stored).toMatchObject({ own: true, tick: "sent", body: "hello", recipients: [BOB] });
  });

  it("sends again with the same id when no reply comes, and on reconnect", async () => {
    const c = await client(`outbox-${++dbCounter}`);
    await connect(c);
    const record = await c.parley.send({ toUser: BOB, body: "hi" });
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id]);
    c.clock.advance(30_000);
    await flush();
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id, record.id]);

    c.server.last.drop();
    c.clock.advance(60_000);
    await flush();
    c.server.last.open();
    await c.parley.settled();
    c.server.last.receive({ type: "synced", cursor: "c1", more: false });
    await c.parley.settled();
    await flush();
    expect(c.server.sockets).toHaveLength(2);
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id]);
  });

  it("retries rate_limited and internal after a backoff, with the same id", async () => {
    const c = await client(`outbox-${++dbCounter}`);
    await connect(c);
    const record = await c.parley.send({ conversation: "d:alice:bob", body: "x" });
    c.server.last.receive({ type: "error", id: record.id, code: "rate_limited", message: "slow down" });
    await c.parley.settled();
    expect(c.server.last.sentOf("send")).toHaveLength(1);
    c.clock.advance(499); // backoff: random 0.5 of 1 s
    expect(c.server.last.sentOf("send")).toHaveLength(1);
    c.clock.advance(1);
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id, record.id]);
    c.server.last.receive({ type: "error", id: record.id, code: "internal", message: "Internal" });
    await c.parley.settled();
    c.clock.advance(1_000); // second backoff: 0.5 of 2 s
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id, record.id, record.id]);
    c.server.last.receive(sentFrame(record.id, 1));
    await c.parley.settled();
    expect(await c.store.listOutbox()).toEqual([]);
  });

  it("marks a send failed on a final error and never retries it", async () => {
    const c = await client(`outbox-${++dbCounter}`);
    await connect(c);
    const changes: string[] = [];
    c.parley.subscribe({ outbox: (r, change) => changes.push(`${r.id}:${change}`) });
    const record = await c.parley.send({ toUser: "nobody", body: "x" });
    c.server.last.receive({ type: "error", id: record.id, code: "not_found", message: "no such user" });
    await c.parley.settled();
    c.clock.advance(3_600_000);
    await flush();
    expect(c.server.last.sentOf("send")).toHaveLength(1);
    const [stored] = await c.store.listOutbox();
    expect(stored).toMatchObject({ id: record.id, state: "failed", error: { code: "not_found" } });
    expect(changes).toEqual([`${record.id}:queued`, `${record.id}:failed`]);
  });

  it("keeps one send per conversation on the wire, in order", async () => {
    const c = await client(`outbox-${++dbCounter}`);
    await connect(c);
    const a = await c.parley.send({ conversation: "g:1", body: "a" });
    const b = await c.parley.send({ conversation: "g:1", body: "b" });
    const other = await c.parley.send({ conversation: "g:2", body: "z" });
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([a.id, other.id]);
    c.server.last.receive({ type: "sent", id: a.id, conversation: "g:1", seq: 1, messageId: "M1", ts: 1 });
    await c.parley.settled();
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([a.id, other.id, b.id]);
  });

  it("an unauthorized send stays queued and goes again after the reconnect", async () => {
    const c = await client(`outbox-${++dbCounter}`);
    await connect(c);
    const record = await c.parley.send({ toUser: BOB, body: "late" });
    c.server.last.receive({ type: "error", id: record.id, code: "unauthorized", message: "expired" });
    await c.parley.settled();
    await flush();
    expect(c.server.sockets).toHaveLength(2);
    c.server.last.open();
    await c.parley.settled();
    await flush();
    expect(c.server.last.sentOf("send").map((f) => f.id)).toEqual([record.id]);
    expect((await c.store.listOutbox())[0]?.state).toBe("pending");
  });
});
