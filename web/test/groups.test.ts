// Group membership and admins as the client learns them from system messages (docs/protocol.md
// "Groups": the creator is the first admin; when the last admin leaves, the first remaining
// member by id becomes admin) and from `group` replies.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "../src/client/client";
import type { ServerFrame, System } from "../src/client/protocol";
import { openIdbStore } from "../src/client/store";
import { FakeClock, FakeServer, flush } from "./fakes";

const GROUP = "g:0123456789abcdef0123456789abcdef";
let n = 0;

async function setup() {
  const server = new FakeServer();
  const parley = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev",
    userId: "alice",
    tokenProvider: async () => "tok",
    store: await openIdbStore(`groups-${++n}`),
    socketFactory: server.factory,
    clock: new FakeClock(),
    newId: () => `id${++n}`,
  });
  await parley.start();
  await flush();
  server.last.open();
  await parley.settled();
  let seq = 0;
  const system = async (from: string, system: System) => {
    seq++;
    server.last.receive({ type: "message", conversation: GROUP, seq, messageId: `M${seq}`, id: `g${seq}`, from, ts: seq, cursor: `c${seq}`, system });
    await parley.settled();
    return (await parley.conversation(GROUP))!;
  };
  return { server, parley, system };
}

describe("groups", () => {
  it("the creator is admin; removals and leaves update members; the last admin's leaving promotes the first by id", async () => {
    const { system } = await setup();
    let group = await system("carol", { event: "created", members: ["carol", "alice", "bob", "dave"], name: "Climbing" });
    expect(group).toMatchObject({ kind: "group", name: "Climbing", admins: ["carol"] });
    expect([...group.members].sort()).toEqual(["alice", "bob", "carol", "dave"]);

    group = await system("carol", { event: "removed", members: ["dave"], name: "Climbing" });
    expect([...group.members].sort()).toEqual(["alice", "bob", "carol"]);
    expect(group.admins).toEqual(["carol"]);

    group = await system("carol", { event: "added", members: ["erin"], name: "Climbing 2" });
    expect(group.name).toBe("Climbing 2");
    expect(group.members).toContain("erin");

    group = await system("carol", { event: "left", members: ["carol"], name: "Climbing 2" });
    expect(group.members).not.toContain("carol");
    expect(group.admins).toEqual(["alice"]);
  });

  it("a group reply states members and admins outright", async () => {
    const { server, parley } = await setup();
    const reply = parley.request({ action: "createGroup", name: "Band", members: ["bob"] });
    await flush();
    const sent = server.last.sentOf("createGroup")[0]!;
    const frame: ServerFrame = { type: "group", id: sent.id, conversation: GROUP, name: "Band", members: ["alice", "bob"], admins: ["alice"] };
    server.last.receive(frame);
    await expect(reply).resolves.toMatchObject({ type: "group", conversation: GROUP });
    await parley.settled();
    expect(await parley.conversation(GROUP)).toMatchObject({ kind: "group", members: ["alice", "bob"], admins: ["alice"] });
  });
});
