// Chat settings in the web client library: the listing asked on every connect, another
// device's change applied live, this device's change answered, a fourth pin refused with the
// server's message, and the chat list's order (pinned first, archived apart).
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { arrange, ChatSettingsBook, isMuted, MUTED_ALWAYS } from "../src/client/chats";
import { ParleyClient, RequestError } from "../src/client/client";
import type { ChatSettings } from "../src/client/chats";
import { openIdbStore } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

const DM = "d:alice:bob";
const GROUP = "g:0123456789abcdef0123456789abcdef";
let n = 0;

async function setup() {
  const server = new FakeServer();
  const clock = new FakeClock();
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: "alice",
    tokenProvider: async () => "tok",
    store: await openIdbStore(`chats-${++n}`),
    socketFactory: server.factory,
    clock,
    newId: () => `id${++n}`,
  });
  const seen: ChatSettings[][] = [];
  parley.subscribe({ chats: (changed) => seen.push(changed) });
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  return { server, parley, seen, clock };
}

const pinnedDm: ChatSettings = { conversation: DM, archived: false, pinned: true, unread: false };

describe("chat settings", () => {
  it("each connect asks for the list, which replaces what was known", async () => {
    const { server, parley, seen, clock } = await setup();
    const [ask] = server.last.sentOf("chats");
    expect(ask).toBeDefined();
    server.last.receive({ type: "chats", id: ask!.id, chats: [pinnedDm] });
    await parley.settled();
    expect(parley.chatSettings.get(DM).pinned).toBe(true);
    expect(seen).toEqual([[pinnedDm]]);

    // Reconnected: asked again, and the new list no longer has it.
    server.last.drop();
    await parley.settled();
    clock.advance(60_000);
    await flush();
    expect(server.sockets).toHaveLength(2);
    server.last.open();
    await parley.settled();
    const [again] = server.last.sentOf("chats");
    server.last.receive({ type: "chats", id: again!.id, chats: [] });
    await parley.settled();
    expect(parley.chatSettings.get(DM).pinned).toBe(false);
    expect(seen.at(-1)).toEqual([]);
  });

  it("another device's change applies live; this device's change resolves with the settings", async () => {
    const { server, parley, seen } = await setup();
    server.last.receive({ type: "chat", conversation: GROUP, mutedUntil: MUTED_ALWAYS, archived: true, pinned: false, unread: false });
    await parley.settled();
    expect(parley.chatSettings.get(GROUP)).toMatchObject({ mutedUntil: -1, archived: true });
    expect(seen.at(-1)).toEqual([{ conversation: GROUP, mutedUntil: -1, archived: true, pinned: false, unread: false }]);

    const change = parley.setChat(DM, { pinned: true, mute: "8h" });
    const [sent] = server.last.sentOf("chat");
    expect(sent).toMatchObject({ action: "chat", conversation: DM, pinned: true, mute: "8h" });
    server.last.receive({ type: "chat", id: sent!.id, conversation: DM, mutedUntil: 1_700_028_800_000, archived: false, pinned: true, unread: false });
    await expect(change).resolves.toEqual({ conversation: DM, mutedUntil: 1_700_028_800_000, archived: false, pinned: true, unread: false });
  });

  it("a fourth pin is refused with the server's message and changes nothing", async () => {
    const { server, parley } = await setup();
    const change = parley.setChat(DM, { pinned: true });
    const [sent] = server.last.sentOf("chat");
    server.last.receive({ type: "error", id: sent!.id, code: "too_large", message: "at most 3 chats are pinned: unpin one first" });
    await expect(change).rejects.toEqual(new RequestError("too_large", "at most 3 chats are pinned: unpin one first"));
    expect(parley.chatSettings.get(DM).pinned).toBe(false);
  });
});

describe("chat list order", () => {
  it("puts pinned chats first and archived ones apart, each by latest activity", () => {
    const book = new ChatSettingsBook();
    const chats = ["a", "b", "c", "d", "e"].map((c, i) => ({ conversation: c, lastTs: i }));
    book.apply({ conversation: "b", archived: false, pinned: true, unread: false });
    book.apply({ conversation: "a", archived: false, pinned: true, unread: false });
    book.apply({ conversation: "d", archived: true, pinned: true, unread: false });
    const { listed, archived } = arrange(chats, book);
    expect(listed.map((c) => c.conversation)).toEqual(["b", "a", "e", "c"]);
    expect(archived.map((c) => c.conversation)).toEqual(["d"]);
    book.replace([]);
    expect(arrange(chats, book).listed.map((c) => c.conversation)).toEqual(["e", "d", "c", "b", "a"]);
  });

  it("muted: always, or until a time still ahead", () => {
    const base = { conversation: DM, archived: false, pinned: false, unread: false };
    expect(isMuted({ ...base, mutedUntil: MUTED_ALWAYS }, 5)).toBe(true);
    expect(isMuted({ ...base, mutedUntil: 6 }, 5)).toBe(true);
    expect(isMuted({ ...base, mutedUntil: 5 }, 5)).toBe(false);
    expect(isMuted(base, 5)).toBe(false);
  });
});
