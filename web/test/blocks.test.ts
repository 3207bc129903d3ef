// Blocking in the web client library and its model: the list asked on every connect, a block
// from this device answered, another device's block (`blocked` without id) applied live, a
// blocked user's entries (`skip`) never notified or listed, and a send refused because this
// user blocks the other explained as such.
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { BlockList } from "../src/client/blocks";
import { ParleyClient, RequestError } from "../src/client/client";
import { openIdbStore } from "../src/client/store";
import { refusalText } from "../src/app/blocking";
import { Contacts } from "../src/app/contacts";
import { ChatModel } from "../src/app/model";
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
    store: await openIdbStore(`blocks-${++n}`),
    socketFactory: server.factory,
    clock,
    newId: () => `id${++n}`,
  });
  const me = { userId: "alice", username: "alice@example.com" };
  const notified: string[] = [];
  const model = new ChatModel(parley, new Contacts(me, undefined), me, (_title, body) => notified.push(body));
  const heard: string[][] = [];
  parley.subscribe({ blocks: (users) => heard.push(users) });
  await model.start();
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  return { server, parley, model, heard, notified, clock };
}

describe("blocking", () => {
  it("each connect asks whom the user blocks; the answer replaces the list", async () => {
    const { server, parley, heard, clock } = await setup();
    expect(parley.blockList.known).toBe(false);
    const [ask] = server.last.sentOf("blocks");
    expect(ask).toEqual({ action: "blocks", id: ask!.id });
    server.last.receive({ type: "blocks", id: ask!.id, users: ["bob", "carol"] });
    await parley.settled();
    expect(parley.blockList.known).toBe(true);
    expect(parley.blockList.list()).toEqual(["bob", "carol"]);
    expect(heard).toEqual([["bob", "carol"]]);

    server.last.drop();
    await parley.settled();
    clock.advance(60_000);
    await flush();
    server.last.open();
    await parley.settled();
    const [again] = server.last.sentOf("blocks");
    server.last.receive({ type: "blocks", id: again!.id, users: ["carol"] });
    await parley.settled();
    expect(parley.blockList.has("bob")).toBe(false);
    expect(parley.blockList.has("carol")).toBe(true);
  });

  it("block and unblock from this device resolve once answered; another device's change applies live", async () => {
    const { server, parley, model, heard } = await setup();
    const blocking = model.setBlocked("bob", true);
    const [sent] = server.last.sentOf("block");
    expect(sent).toEqual({ action: "block", id: sent!.id, user: "bob", blocked: true });
    server.last.receive({ type: "blocked", id: sent!.id, user: "bob", blocked: true });
    await expect(blocking).resolves.toBe(true);
    expect(model.blocks("bob")).toBe(true);
    expect(model.blocked()).toEqual(["bob"]);

    // The user's other device unblocks bob and blocks dave: no id, applied as they come.
    server.last.receive({ type: "blocked", user: "bob", blocked: false });
    server.last.receive({ type: "blocked", user: "dave", blocked: true });
    // A repeat changes nothing and is not heard again.
    server.last.receive({ type: "blocked", user: "dave", blocked: true });
    await parley.settled();
    expect(model.blocks("bob")).toBe(false);
    expect(model.blocked()).toEqual(["dave"]);
    expect(heard).toEqual([["bob"], [], ["dave"]]);
  });

  it("a block refused (offline) keeps its reason and changes nothing", async () => {
    const { server, parley, model } = await setup();
    server.last.drop();
    await parley.settled();
    await expect(model.setBlocked("bob", true)).resolves.toBe(false);
    expect(model.blockError).toBe("not connected");
    expect(model.blocks("bob")).toBe(false);
    await expect(parley.block("bob", true)).rejects.toEqual(new RequestError("offline", "not connected"));
  });

  it("a blocked user's entries notify nothing, and a chat of nothing but skips is not listed", async () => {
    const { server, parley, model, notified } = await setup();
    const global = globalThis as { document?: unknown };
    global.document = { hidden: true };
    try {
      server.last.receive({ type: "message", conversation: DM, seq: 1, messageId: "M1", id: "x1", from: "bob", ts: 1_000, cursor: "c1", body: "before" });
      server.last.receive({ type: "skip", conversation: DM, seq: 2, cursor: "c2" });
      server.last.receive({ type: "skip", conversation: "d:alice:eve", seq: 1, cursor: "c3" });
      await parley.settled();
      await vi.waitFor(() => expect(model.summary(DM)?.record.lastSeq).toBe(2));
      await flush();
      expect(notified).toEqual(["before"]);
      expect(model.summary(DM)?.last?.body).toBe("before");
      expect(model.summary(DM)?.unread).toBe(1);
      expect(model.summaries.map((s) => s.conversation)).toEqual([DM]);
      expect((await parley.conversation("d:alice:eve"))?.lastSeq).toBe(1);
    } finally {
      delete global.document;
    }
  });

  it("a direct message refused because the user blocks the other says so, naming them", async () => {
    const { server, parley, model } = await setup();
    server.last.receive({ type: "message", conversation: DM, seq: 1, messageId: "M1", id: "x1", from: "bob", ts: 1_000, cursor: "c1", body: "hi" });
    await parley.settled();
    await vi.waitFor(() => expect(model.directWith("bob")).toBeDefined());
    const record = await parley.send({ conversation: DM, body: "stop" });
    server.last.receive({ type: "blocked", user: "bob", blocked: true });
    server.last.receive({ type: "error", id: record.id, code: "forbidden", message: "unblock this user to message them" });
    await parley.settled();
    const failed = parley.outbox.list().find((r) => r.id === record.id)!;
    expect(failed.state).toBe("failed");
    expect(refusalText(model, failed)).toBe("you blocked user bob; unblock them to send them messages");
    // Another refusal keeps the server's words.
    const other = { ...failed, error: { code: "too_large", message: "the text is too long" } };
    expect(refusalText(model, other)).toBe("the text is too long");
  });
});

describe("the block list", () => {
  it("applies one change at a time, saying whether it changed anything", () => {
    const list = new BlockList();
    expect(list.apply("bob", true)).toBe(true);
    expect(list.apply("bob", true)).toBe(false);
    expect(list.apply("carol", false)).toBe(false);
    list.replace(["carol"]);
    expect(list.list()).toEqual(["carol"]);
    expect(list.apply("carol", false)).toBe(true);
    expect(list.has("carol")).toBe(false);
  });
});
