// The store's IndexedDB upgrades (fake-indexeddb): version 3 holds both stores a version 2 may
// lack, `pendingChanges` (changes to messages) and `waiting` (messages waiting for their key),
// whichever of the two version-2 databases the browser already has; version 4 indexes the
// messages by `expiresAt` (disappearing messages), the messages kept.
import "fake-indexeddb/auto";
import { openDB, type IDBPDatabase } from "idb";
import { describe, expect, it } from "vitest";
import { openIdbStore } from "../src/client/store";

/** Version 1's stores, as the first web client made them. */
function version1(database: IDBPDatabase) {
  database.createObjectStore("meta");
  database.createObjectStore("outbox", { keyPath: "id" }).createIndex("createdAt", "createdAt");
  database.createObjectStore("messages", { keyPath: ["conversation", "seq"] });
  database.createObjectStore("conversations", { keyPath: "conversation" });
}

async function older(name: string, version: number, extra?: (database: IDBPDatabase) => void) {
  const db = await openDB(name, version, {
    upgrade(database) {
      version1(database);
      extra?.(database);
    },
  });
  await db.put("messages", { conversation: "c1", seq: 1, messageId: "m1", id: "i1", from: "bob", ts: 1, own: false, body: "kept" });
  db.close();
}

async function bothStoresWork(name: string) {
  const store = await openIdbStore(name);
  expect((await store.getMessage("c1", 1))?.body).toBe("kept");
  await store.putPendingChange({ conversation: "c1", seq: 5, ts: 2, from: "bob", kind: "edit", target: 1, body: "new" });
  expect((await store.takePendingChanges("c1", 1)).map((c) => c.body)).toEqual(["new"]);
  expect(await store.takePendingChanges("c1", 1)).toEqual([]);
  await store.putWaiting("c1", 1);
  expect(await store.listWaiting()).toEqual([{ conversation: "c1", seq: 1 }]);
  await store.deleteWaiting("c1", 1);
  expect(await store.listWaiting()).toEqual([]);
  expect(await store.nextExpiry()).toBeUndefined();
  await store.putMessage({ conversation: "c1", seq: 3, messageId: "m3", id: "i3", from: "bob", ts: 3, own: false, body: "later", expiresAt: 90 });
  await store.putMessage({ conversation: "c1", seq: 2, messageId: "m2", id: "i2", from: "bob", ts: 2, own: false, body: "soon", expiresAt: 50 });
  expect(await store.nextExpiry()).toBe(50);
  expect(await store.deleteExpired(49)).toEqual([]);
  expect(await store.deleteExpired(50)).toEqual([{ conversation: "c1", seq: 2 }]);
  expect((await store.listMessages("c1")).map((m) => m.body)).toEqual(["kept", "later"]);
  expect(await store.nextExpiry()).toBe(90);
  store.close();
}

describe("store upgrades", () => {
  it("a version-1 database gains both stores, its messages kept", async () => {
    await older("upgrade-v1", 1);
    await bothStoresWork("upgrade-v1");
  });

  it("a version-2 database with pendingChanges gains waiting", async () => {
    await older("upgrade-v2-changes", 2, (database) =>
      database.createObjectStore("pendingChanges", { keyPath: ["conversation", "seq"] }).createIndex("target", ["conversation", "target"]),
    );
    await bothStoresWork("upgrade-v2-changes");
  });

  it("a version-2 database with waiting gains pendingChanges", async () => {
    await older("upgrade-v2-waiting", 2, (database) => database.createObjectStore("waiting", { keyPath: ["conversation", "seq"] }));
    await bothStoresWork("upgrade-v2-waiting");
  });

  it("a version-3 database gains the expiry index", async () => {
    await older("upgrade-v3", 3, (database) => {
      database.createObjectStore("pendingChanges", { keyPath: ["conversation", "seq"] }).createIndex("target", ["conversation", "target"]);
      database.createObjectStore("waiting", { keyPath: ["conversation", "seq"] });
    });
    await bothStoresWork("upgrade-v3");
  });

  it("a new database has both", async () => {
    const store = await openIdbStore("upgrade-new");
    await store.putWaiting("c1", 2);
    expect(await store.listWaiting()).toEqual([{ conversation: "c1", seq: 2 }]);
    expect(await store.takePendingChanges("c1", 1)).toEqual([]);
    store.close();
  });
});
