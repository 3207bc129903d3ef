// Changes to messages and presence through ParleyClient (fake socket, fake-indexeddb): a change
// entry is folded into its target and never delivered as a message of its own, whether it
// comes live, by sync, before its target or twice; own changes go through the outbox (a
// refusal stays visible there); presence is watched, renewed and ended.
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "../src/client/client";
import { PRESENCE_RENEW_MS, type PresenceState } from "../src/client/presence";
import type { ServerFrame } from "../src/client/protocol";
import { shown } from "../src/client/state";
import { openIdbStore, type StoredMessage } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

const DM = "d:alice:bob";
let n = 0;

async function setup() {
  const server = new FakeServer();
  const clock = new FakeClock();
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: "alice",
    tokenProvider: async () => "tok",
    store: await openIdbStore(`changes-${++n}`),
    socketFactory: server.factory,
    clock,
    newId: () => `id${++n}`,
  });
  const delivered: StoredMessage[] = [];
  parley.subscribe({ message: (m) => delivered.push(structuredClone(m)) });
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  const receive = async (frame: ServerFrame) => {
    server.last.receive(frame);
    await flush();
    await parley.settled();
  };
  const message = (seq: number, from: string, extra: Record<string, unknown> = {}): ServerFrame =>
    ({ type: "message", conversation: DM, seq, messageId: `M${seq}`, id: `c${seq}`, from, ts: seq * 1000, cursor: `c${seq}`, ...extra }) as ServerFrame;
  return { server, clock, parley, delivered, receive, message };
}

describe("changes to messages", () => {
  it("edits, reactions and a deletion fold into the target, which is handed to the UI again; no change shows as a message", async () => {
    const { parley, delivered, receive, message } = await setup();
    await receive(message(1, "bob", { body: "see you at 7" }));
    await receive(message(2, "bob", { body: "see you at 8", kind: "edit", target: 1 }));
    await receive(message(3, "alice", { body: "👍", kind: "react", target: 1 }));
    await receive(message(4, "bob", { body: "😂", kind: "react", target: 1 }));
    await receive(message(4, "bob", { body: "😂", kind: "react", target: 1 })); // a repeat
    expect(delivered.every((m) => m.seq === 1)).toBe(true);
    const [stored] = await parley.history(DM);
    expect(stored?.body).toBe("see you at 7");
    expect(shown(stored?.state)).toEqual({
      editedBody: "see you at 8",
      deleted: false,
      reactions: [{ emoji: "👍", users: ["alice"] }, { emoji: "😂", users: ["bob"] }],
    });
    expect(await parley.history(DM)).toHaveLength(1);
    expect(delivered.some((m) => m.own && m.tick !== undefined)).toBe(false);

    await receive(message(5, "bob", { kind: "delete", target: 1 }));
    const [gone] = await parley.history(DM);
    expect(shown(gone?.state)).toEqual({ deleted: true, reactions: [] });
    expect(gone?.body).toBeUndefined();
    expect((await parley.conversation(DM))?.lastSeq).toBe(5);
  });

  it("a change whose target this device does not hold is kept aside, not shown", async () => {
    const { parley, delivered, receive, message } = await setup();
    // A member added late: the mailbox starts after the target (seq 2 never comes).
    await receive(message(1, "bob", { body: "first" }));
    await receive(message(3, "bob", { body: "🎉", kind: "react", target: 2 }));
    // The gap came during the connect's sync, so one more sync runs; both end without seq 2,
    // so seq 3 is released alone.
    await receive({ type: "synced", cursor: "x", more: false });
    await receive({ type: "synced", cursor: "y", more: false });
    expect(await parley.history(DM)).toHaveLength(1);
    expect(delivered.map((m) => m.seq)).toEqual([1]);
    expect((await parley.conversation(DM))?.lastSeq).toBe(3);
  });

  it("the store keeps pending changes by target and hands them over once", async () => {
    const store = await openIdbStore(`pending-${++n}`);
    await store.putPendingChange({ conversation: DM, seq: 5, ts: 5, from: "bob", kind: "react", target: 2, body: "👍" });
    await store.putPendingChange({ conversation: DM, seq: 6, ts: 6, from: "bob", kind: "edit", target: 3, body: "x" });
    await store.putPendingChange({ conversation: DM, seq: 5, ts: 5, from: "bob", kind: "react", target: 2, body: "👍" });
    expect(await store.takePendingChanges(DM, 2)).toMatchObject([{ seq: 5, body: "👍" }]);
    expect(await store.takePendingChanges(DM, 2)).toEqual([]);
    expect(await store.takePendingChanges(DM, 3)).toHaveLength(1);
    store.close();
  });

  it("a store of the first version opens with its messages kept and gains the pending changes", async () => {
    const name = `v1-${++n}`;
    const v1 = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore("meta");
        database.createObjectStore("outbox", { keyPath: "id" }).createIndex("createdAt", "createdAt");
        database.createObjectStore("messages", { keyPath: ["conversation", "seq"] });
        database.createObjectStore("conversations", { keyPath: "conversation" });
      },
    });
    await v1.put("messages", { conversation: DM, seq: 1, messageId: "M1", id: "c1", from: "bob", ts: 1, own: false, body: "kept" });
    v1.close();
    const store = await openIdbStore(name);
    expect(await store.getMessage(DM, 1)).toMatchObject({ body: "kept" });
    await store.putPendingChange({ conversation: DM, seq: 2, ts: 2, from: "bob", kind: "edit", target: 1, body: "new" });
    expect(await store.takePendingChanges(DM, 1)).toHaveLength(1);
    store.close();
  });

  it("a synced message carries its state; entries the state covers change nothing", async () => {
    const { parley, receive, message } = await setup();
    await receive(message(1, "bob", {
      body: "hello",
      state: { version: 3, edited: { seq: 2, ts: 2000, body: "hello!" }, reactions: { alice: { seq: 3, body: "👍" } } },
    }));
    await receive(message(2, "bob", { body: "hello?", kind: "edit", target: 1 }));
    await receive(message(3, "alice", { kind: "unreact", target: 1 }));
    const [stored] = await parley.history(DM);
    expect(shown(stored?.state)).toEqual({ editedBody: "hello!", deleted: false, reactions: [{ emoji: "👍", users: ["alice"] }] });
  });

  it("an own change goes through the outbox and folds in on `sent`; a refusal stays there with the server's reason", async () => {
    const { server, parley, receive, message } = await setup();
    await receive(message(1, "alice", { body: "my text" }));
    await parley.edit(DM, 1, "my text, edited");
    await flush();
    const edit = server.last.sentOf("send").at(-1)!;
    expect(edit).toMatchObject({ conversation: DM, kind: "edit", target: 1, body: "my text, edited" });
    await receive({ type: "sent", id: edit.id, conversation: DM, seq: 2, messageId: "M2", ts: 2000 });
    const [stored] = await parley.history(DM);
    expect(shown(stored?.state).editedBody).toBe("my text, edited");
    expect(parley.outbox.list()).toHaveLength(0);

    await parley.deleteForEveryone(DM, 1);
    await flush();
    const deletion = server.last.sentOf("send").at(-1)!;
    expect(deletion).toMatchObject({ kind: "delete", target: 1 });
    await receive({ type: "error", id: deletion.id, code: "bad_request", message: "kind delete is not supported yet" });
    expect(parley.outbox.list()).toMatchObject([{ state: "failed", error: { message: "kind delete is not supported yet" } }]);
  });

  it("a reply keeps the quoted message's author; react and unreact are sends with a kind", async () => {
    const { server, parley, receive, message } = await setup();
    await receive(message(1, "bob", { body: "Saturday?" }));
    await parley.send({ conversation: DM, body: "yes", replyTo: { seq: 1, preview: "Saturday?" } });
    await flush();
    const reply = server.last.sentOf("send").at(-1)!;
    await receive({ type: "sent", id: reply.id, conversation: DM, seq: 2, messageId: "M2", ts: 2000 });
    expect((await parley.history(DM))[1]).toMatchObject({ body: "yes", replyTo: { seq: 1, from: "bob", preview: "Saturday?" }, tick: "sent" });
    await parley.react(DM, 1, "❤️");
    await parley.react(DM, 1, undefined);
    await flush();
    expect(server.last.sentOf("send").slice(-1)).toMatchObject([{ kind: "react", target: 1, body: "❤️" }]);
  });
});

describe("presence", () => {
  it("watches while open: the answer, changes posted, renewal every 4 minutes, again after a reconnect, and watch false at the end", async () => {
    const { server, clock, parley, receive } = await setup();
    const seen: PresenceState[] = [];
    const stop = parley.watchPresence("bob", (state) => seen.push(state));
    await flush();
    const ask = server.last.sentOf("presence");
    expect(ask).toMatchObject([{ user: "bob", watch: true }]);
    await receive({ type: "presence", id: ask[0]!.id, user: "bob", online: true });
    await receive({ type: "presence", user: "bob", online: false, lastSeen: 1234 });
    await receive({ type: "presence", user: "carol", online: true }); // nobody watches carol
    expect(seen).toEqual([{ kind: "unknown" }, { kind: "online" }, { kind: "offline", lastSeen: 1234 }]);

    clock.advance(PRESENCE_RENEW_MS - 1);
    expect(server.last.sentOf("presence")).toHaveLength(1);
    clock.advance(1);
    expect(server.last.sentOf("presence")).toHaveLength(2);

    // Hidden by privacy: an answer without a state.
    await receive({ type: "presence", id: server.last.sentOf("presence")[1]!.id, user: "bob" });
    expect(seen.at(-1)).toEqual({ kind: "hidden" });

    // A new connection is a new watcher: it asks again at once.
    server.last.drop();
    await parley.settled();
    clock.advance(60_000);
    await flush();
    server.last.open();
    await flush();
    await parley.settled();
    expect(server.last.sentOf("presence")).toMatchObject([{ user: "bob", watch: true }]);

    stop();
    expect(server.last.sentOf("presence").at(-1)).toMatchObject({ user: "bob", watch: false });
    const before = server.last.sentOf("presence").length;
    clock.advance(PRESENCE_RENEW_MS * 2);
    expect(server.last.sentOf("presence")).toHaveLength(before);
  });

  it("a chat closed and opened again at once: the new watch waits for the watch false before it, whose answer (no state) leaves the new one's alone", async () => {
    // The server runs the two requests concurrently: a watch true sent before the watch false
    // is answered could be applied before it and then be removed by it.
    const { server, parley, receive } = await setup();
    const stop = parley.watchPresence("bob", () => undefined);
    await flush();
    const [ask] = server.last.sentOf("presence");
    await receive({ type: "presence", id: ask!.id, user: "bob", online: true });
    stop();
    const seen: PresenceState[] = [];
    const stopAgain = parley.watchPresence("bob", (state) => seen.push(state));
    await flush();
    const [, unwatch] = server.last.sentOf("presence");
    expect(server.last.sentOf("presence")).toMatchObject([{ watch: true }, { user: "bob", watch: false }]);

    // The watch false's answer (neither online nor lastSeen): not a state; now the new watch asks.
    await receive({ type: "presence", id: unwatch!.id, user: "bob" });
    expect(seen).toEqual([{ kind: "unknown" }]);
    const again = server.last.sentOf("presence")[2];
    expect(again).toMatchObject({ user: "bob", watch: true });
    // A late answer to the first ask is stale too; the new ask's answer and changes count.
    await receive({ type: "presence", id: ask!.id, user: "bob", online: false, lastSeen: 1 });
    await receive({ type: "presence", id: again!.id, user: "bob", online: true });
    await receive({ type: "presence", user: "bob", online: false, lastSeen: 1234 });
    expect(seen).toEqual([{ kind: "unknown" }, { kind: "online" }, { kind: "offline", lastSeen: 1234 }]);

    // Closed and opened again, and the watch false refused: the new watch asks all the same.
    stopAgain();
    const reopened: PresenceState[] = [];
    parley.watchPresence("bob", (state) => reopened.push(state));
    await flush();
    const refused = server.last.sentOf("presence").at(-1)!;
    expect(refused).toMatchObject({ user: "bob", watch: false });
    await receive({ type: "error", id: refused.id, code: "rate_limited", message: "slow down" } as ServerFrame);
    expect(server.last.sentOf("presence").at(-1)).toMatchObject({ user: "bob", watch: true });
    expect(server.last.sentOf("presence")).toHaveLength(5);
  });
});
