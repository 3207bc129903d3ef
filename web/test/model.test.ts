// The UI's model of a session: the conversation list sorted by latest message, unread counts
// (messages from others above the read mark), previews, and the outbox shown in its chat.
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { ParleyClient } from "../src/client/client";
import { openIdbStore } from "../src/client/store";
import { Contacts } from "../src/app/contacts";
import { preview } from "../src/app/format";
import { ChatModel } from "../src/app/model";
import { FakeClock, FakeServer, flush } from "./fakes";

let n = 0;

async function setup() {
  const server = new FakeServer();
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: "alice",
    tokenProvider: async () => "tok",
    store: await openIdbStore(`model-${++n}`),
    socketFactory: server.factory,
    clock: new FakeClock(),
    newId: () => `id${++n}`,
  });
  const me = { userId: "alice", username: "alice@example.com" };
  const notified: string[] = [];
  const model = new ChatModel(parley, new Contacts(me, undefined), me, (_title, body) => notified.push(body));
  await model.start();
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  let cursor = 0;
  const message = async (conversation: string, seq: number, from: string, body: string, ts: number) => {
    server.last.receive({ type: "message", conversation, seq, messageId: `M${conversation}${seq}`, id: `f${++cursor}`, from, ts, cursor: `c${cursor}`, body });
    await parley.settled();
  };
  return { server, parley, model, message, notified };
}

describe("the chat model", () => {
  it("lists conversations latest first, with unread counts and the last message", async () => {
    const { model, message } = await setup();
    await message("d:alice:bob", 1, "bob", "hi", 1_000);
    await message("d:alice:bob", 2, "bob", "there?", 2_000);
    await message("d:alice:carol", 1, "carol", "lunch", 3_000);
    await vi.waitFor(() => expect(model.summaries.map((s) => s.conversation)).toEqual(["d:alice:carol", "d:alice:bob"]));
    expect(model.summary("d:alice:bob")!.unread).toBe(2);
    expect(model.summary("d:alice:carol")!.unread).toBe(1);
    expect(preview(model.summary("d:alice:bob")!.last!, (id) => id)).toBe("there?");
    expect(model.title({ conversation: "d:alice:bob" })).toBe("user bob");

    await message("d:alice:bob", 3, "bob", "ping", 4_000);
    await vi.waitFor(() => expect(model.summaries[0]!.conversation).toBe("d:alice:bob"));
    expect(model.summary("d:alice:bob")!.unread).toBe(3);

    await model.markRead("d:alice:bob", 3);
    await vi.waitFor(() => expect(model.summary("d:alice:bob")!.unread).toBe(0));
    expect(model.summary("d:alice:carol")!.unread).toBe(1);
  });

  it("shows an unsent message in its chat, found by conversation or, before the first reply, by user", async () => {
    const { server, parley, model, message } = await setup();
    await message("d:alice:bob", 1, "bob", "hi", 1_000);
    await vi.waitFor(() => expect(model.directWith("bob")?.conversation).toBe("d:alice:bob"));
    server.last.drop();
    await parley.settled();
    await parley.send({ toUser: "bob", body: "written offline" });
    await parley.send({ toUser: "carol", body: "first words" });
    expect(model.pending({ conversation: "d:alice:bob" }).map((r) => r.frame.body)).toEqual(["written offline"]);
    expect(model.pending({ toUser: "carol" }).map((r) => r.frame.body)).toEqual(["first words"]);
    expect(model.resolve({ toUser: "bob" })).toEqual({ conversation: "d:alice:bob" });
    expect(model.resolve({ toUser: "carol" })).toEqual({ toUser: "carol" });
  });

  it("lists pinned chats first and archived ones apart, keeps a refused pin's reason, and a muted chat notifies nothing", async () => {
    const { server, parley, model, message, notified } = await setup();
    await message("d:alice:bob", 1, "bob", "hi", 1_000);
    await message("d:alice:carol", 1, "carol", "lunch", 3_000);
    await message("d:alice:dave", 1, "dave", "yo", 2_000);
    await vi.waitFor(() => expect(model.listed.map((s) => s.conversation)).toEqual(["d:alice:carol", "d:alice:dave", "d:alice:bob"]));
    server.last.receive({ type: "chat", conversation: "d:alice:bob", archived: false, pinned: true, unread: false });
    server.last.receive({ type: "chat", conversation: "d:alice:dave", mutedUntil: -1, archived: true, pinned: false, unread: false });
    await parley.settled();
    expect(model.listed.map((s) => s.conversation)).toEqual(["d:alice:bob", "d:alice:carol"]);
    expect(model.archived.map((s) => s.conversation)).toEqual(["d:alice:dave"]);

    const pin = model.setChat("d:alice:carol", { pinned: true });
    const asked = server.last.sentOf("chat").at(-1)!;
    server.last.receive({ type: "error", id: asked.id, code: "too_large", message: "at most 3 chats are pinned: unpin one first" });
    await pin;
    expect(model.settingsError).toBe("at most 3 chats are pinned: unpin one first");

    // A hidden tab (the tests run in Node, which has no document).
    const global = globalThis as { document?: unknown };
    global.document = { hidden: true };
    try {
      await message("d:alice:dave", 2, "dave", "muted news", 5_000);
      await message("d:alice:carol", 2, "carol", "loud news", 6_000);
      await vi.waitFor(() => expect(notified).toEqual(["loud news"]));
    } finally {
      delete global.document;
    }
  });
});

describe("changes, mentions and the chat model", () => {
  it("a mention notifies through a mute; a change notifies nothing; the preview shows the edit, then the deletion", async () => {
    const { server, parley, model, message, notified } = await setup();
    await message("g:climb", 1, "bob", "first", 1_000);
    server.last.receive({ type: "chat", conversation: "g:climb", mutedUntil: -1, archived: false, pinned: false, unread: false });
    await parley.settled();
    const global = globalThis as { document?: unknown };
    global.document = { hidden: true };
    try {
      await message("g:climb", 2, "bob", "muted, not mentioned", 2_000);
      server.last.receive({ type: "message", conversation: "g:climb", seq: 3, messageId: "M3", id: "x3", from: "bob", ts: 3_000, cursor: "c3", body: "@alice@example.com look", mentions: ["alice"] });
      server.last.receive({ type: "message", conversation: "g:climb", seq: 4, messageId: "M4", id: "x4", from: "bob", ts: 4_000, cursor: "c4", body: "👍", kind: "react", target: 3 });
      server.last.receive({ type: "message", conversation: "g:climb", seq: 5, messageId: "M5", id: "x5", from: "bob", ts: 5_000, cursor: "c5", body: "@alice@example.com look!", kind: "edit", target: 3 });
      await parley.settled();
      await vi.waitFor(() => expect(model.summary("g:climb")?.record.lastSeq).toBe(5));
      expect(notified).toEqual(["@alice@example.com look"]);
    } finally {
      delete global.document;
    }
    await vi.waitFor(() => expect(preview(model.summary("g:climb")!.last!, (id) => id)).toBe("@alice@example.com look!"));
    expect(model.summary("g:climb")?.unread).toBe(3);
    server.last.receive({ type: "message", conversation: "g:climb", seq: 6, messageId: "M6", id: "x6", from: "bob", ts: 6_000, cursor: "c6", kind: "delete", target: 3 });
    await parley.settled();
    await vi.waitFor(() => expect(preview(model.summary("g:climb")!.last!, (id) => id)).toBe("This message was deleted"));
  });
});

describe("disappearing messages and the chat model", () => {
  it("a timer set is a line: no unread, no notification, the list's preview, the timer on the record", async () => {
    const { server, parley, model, message, notified } = await setup();
    const global = globalThis as { document?: unknown };
    global.document = { hidden: true };
    try {
      await message("d:alice:bob", 1, "bob", "hi", 1_000);
      server.last.receive({ type: "message", conversation: "d:alice:bob", seq: 2, messageId: "M2", id: "t2", from: "bob", ts: 2_000, cursor: "t2", kind: "timer", seconds: 604_800 });
      await parley.settled();
      await vi.waitFor(() => expect(model.summary("d:alice:bob")?.record.lastSeq).toBe(2));
      await vi.waitFor(() => expect(preview(model.summary("d:alice:bob")!.last!, (id) => `user ${id}`)).toBe("user bob set disappearing messages to 7 days"));
      expect(model.summary("d:alice:bob")?.unread).toBe(1);
      expect(model.summary("d:alice:bob")?.record.timer).toBe(604_800);
      expect(notified).toEqual(["hi"]);
    } finally {
      delete global.document;
    }
    server.last.receive({ type: "message", conversation: "d:alice:bob", seq: 3, messageId: "M3", id: "t3", from: "alice", ts: 3_000, cursor: "t3", kind: "timer", seconds: 0 });
    await parley.settled();
    await vi.waitFor(() => expect(preview(model.summary("d:alice:bob")!.last!, (id) => id)).toBe("alice turned off disappearing messages"));
  });
});
