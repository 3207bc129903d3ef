// End-to-end encryption wired into ParleyClient (issue 15, stage 6): two clients, each with a
// real engine (the wasm's Node entry, in-memory stores), talk through a fake server that
// speaks the key, to-device and message frames the way functions/keys and functions/messages
// do (docs/protocol.md), and records every frame it got. What the server sees of a message
// is only ciphertext; keys arrive over the to-device inbox; a message whose key has not come
// is kept as "waiting for key" and decrypted when it comes; history from before a device is
// "sent before this device".
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { isSealed, ParleyClient, SEALED_FILE_NAME, SEALED_FILE_TYPE } from "../src/client/client";
import { DeviceEncryption } from "../src/client/crypto";
import { snapshotEntryId } from "../src/client/crypto/ids";
import { claimChunks, MAX_TO_DEVICE_FRAME_BYTES, toDeviceChunks } from "../src/client/encryption";
import type { SocketLike } from "../src/client/connection";
import type { ClientFrame, ServerFrame } from "../src/client/protocol";
import { openIdbStore, type SealedAttachment, type StoredMessage } from "../src/client/store";
import { directConversation } from "../src/client/ids";
import { newDevices } from "../src/app/DevicesPanel";

type Json = Record<string, any>;
type Frame = ClientFrame & Json;

/** One socket of the fake server: a device of a user. */
class RelaySocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  closed = false;
  constructor(readonly relay: Relay, readonly user: string, readonly device: string) {}
  send(data: string): void {
    if (this.closed) throw new Error("closed");
    this.relay.got.push({ user: this.user, raw: data });
    const frame = JSON.parse(data) as Frame;
    setImmediate(() => this.relay.handle(this, frame));
  }
  close(): void {
    this.closed = true;
  }
  post(frame: ServerFrame | Json): void {
    if (!this.closed) setImmediate(() => this.onmessage?.({ data: JSON.stringify(frame) }));
  }
}

/** The server's key directory, to-device inboxes and conversations, in Maps. */
class Relay {
  readonly got: { user: string; raw: string }[] = [];
  readonly sockets: RelaySocket[] = [];
  private readonly deviceKeys = new Map<string, Map<string, Json>>();
  private readonly oneTimeKeys = new Map<string, Map<string, Json>>();
  private readonly fallbacks = new Map<string, Json>();
  private readonly inboxes = new Map<string, { id: string; from: string; fromDevice: string; eventType: string; content: string }[]>();
  private readonly log = new Map<string, Json[]>();
  /** Groups' members. */
  readonly groups = new Map<string, string[]>();
  /** Users a group's messages also go to, whatever its members (a server that misbehaves). */
  readonly leakTo = new Set<string>();
  /** Whether new devices are announced (`deviceChanged`), as the server's device lists do. */
  announce = false;
  /** Devices whose live to-device posts are held back (their inbox keeps them). */
  readonly quiet = new Set<string>();
  private next = 0;

  factory(user: string, device: string) {
    return (url: string) => {
      expect(new URL(url).searchParams.get("device")).toBe(device);
      const socket = new RelaySocket(this, user, device);
      this.sockets.push(socket);
      setImmediate(() => socket.onopen?.({}));
      return socket;
    };
  }

  private counts(at: string) {
    return { oneTimeKeyCounts: { signed_curve25519: this.oneTimeKeys.get(at)?.size ?? 0 }, unusedFallbackKeys: this.fallbacks.has(at) ? ["signed_curve25519"] : [] };
  }

  private live(user: string, device?: string) {
    return this.sockets.filter((s) => !s.closed && s.user === user && (device === undefined || s.device === device));
  }

  handle(from: RelaySocket, f: Frame): void {
    const at = `${from.user}|${from.device}`;
    switch (f.action) {
      case "keysUpload": {
        if (f.deviceKeys) {
          (this.deviceKeys.get(from.user) ?? this.deviceKeys.set(from.user, new Map()).get(from.user)!).set(from.device, f.deviceKeys);
          // A new device is announced to everyone else connected (the server: its contacts).
          if (this.announce) this.sockets.filter((s) => !s.closed && s.user !== from.user).forEach((s) => s.post({ type: "deviceChanged", user: from.user }));
        }
        const stock = this.oneTimeKeys.get(at) ?? new Map<string, Json>();
        for (const [id, key] of Object.entries(f.oneTimeKeys ?? {})) stock.set(id, key as Json);
        this.oneTimeKeys.set(at, stock);
        if (f.fallbackKeys && Object.keys(f.fallbackKeys).length > 0) this.fallbacks.set(at, f.fallbackKeys);
        from.post({ type: "keysUploaded", id: f.id, ...this.counts(at) });
        return;
      }
      case "keysQuery": {
        // One part per user, as the server splits big answers: the client merges them.
        const users = f.users as string[];
        users.forEach((u, i) =>
          from.post({ type: "keys", id: f.id, devices: { [u]: Object.fromEntries(this.deviceKeys.get(u) ?? []) }, more: i < users.length - 1 }),
        );
        return;
      }
      case "keysClaim": {
        const oneTimeKeys: Json = {};
        for (const [u, devices] of Object.entries(f.devices as Record<string, string[]>)) {
          for (const d of devices) {
            const stock = this.oneTimeKeys.get(`${u}|${d}`);
            const first = stock?.keys().next().value;
            if (stock && first !== undefined) {
              (oneTimeKeys[u] ??= {})[d] = { [first]: stock.get(first) };
              stock.delete(first);
            } else if (this.fallbacks.has(`${u}|${d}`)) (oneTimeKeys[u] ??= {})[d] = this.fallbacks.get(`${u}|${d}`);
          }
        }
        from.post({ type: "claimed", id: f.id, oneTimeKeys });
        return;
      }
      case "sendToDevice":
        for (const [u, byDevice] of Object.entries(f.messages as Record<string, Record<string, string>>)) {
          for (const [d, content] of Object.entries(byDevice)) {
            const message = { id: `td${++this.next}`, from: from.user, fromDevice: from.device, eventType: f.eventType as string, content };
            this.inboxes.set(`${u}|${d}`, [...(this.inboxes.get(`${u}|${d}`) ?? []), message]);
            if (!this.quiet.has(`${u}|${d}`)) this.live(u, d).forEach((s) => s.post({ type: "toDevice", messages: [message] }));
          }
        }
        from.post({ type: "toDeviceSent", id: f.id });
        return;
      case "toDeviceSync": {
        const inbox = this.inboxes.get(at) ?? [];
        if (inbox.length > 0) from.post({ type: "toDevice", messages: inbox });
        from.post({ type: "toDeviceSynced", more: false, ...this.counts(at) });
        return;
      }
      case "toDeviceAck":
        this.inboxes.set(at, (this.inboxes.get(at) ?? []).filter((m) => !(f.ids as string[]).includes(m.id)));
        from.post({ type: "toDeviceAcked", ...this.counts(at) });
        return;
      case "send": {
        const conversation = f.toUser !== undefined ? directConversation(from.user, f.toUser) : (f.conversation as string);
        const log = this.log.get(conversation) ?? [];
        this.log.set(conversation, log);
        const seq = log.length + 1;
        const message = {
          type: "message", conversation, seq, messageId: `M${seq}`, id: f.id, from: from.user, ts: Date.now(), cursor: `c${seq}`,
          ...(f.body !== undefined ? { body: f.body } : {}), ...(f.encrypted !== undefined ? { encrypted: f.encrypted } : {}), ...(f.attachment !== undefined ? { attachment: f.attachment } : {}), ...(f.kind !== undefined ? { kind: f.kind, target: f.target } : {}),
        };
        log.push(message);
        from.post({ type: "sent", id: f.id, conversation, seq, messageId: message.messageId, ts: message.ts });
        this.post(conversation, message, from);
        return;
      }
      case "sync": {
        // Every message of the user's conversations (enough for these tests), then the end.
        for (const [conversation, log] of this.log) {
          if (conversation.split(":").includes(from.user)) log.forEach((m) => from.post(m));
        }
        from.post({ type: "synced", cursor: "end", more: false });
        return;
      }
      case "removeDevice":
        this.deviceKeys.get(from.user)?.delete(f.device as string);
        from.post({ type: "deviceRemoved", id: f.id, device: f.device });
        return;
      case "chats":
        from.post({ type: "chats", id: f.id, chats: [] });
        return;
      case "blocks":
        from.post({ type: "blocks", id: f.id, users: [] });
        return;
      default:
        return; // ack, typing, ping: nothing to answer here
    }
  }

  private membersOf(conversation: string): string[] {
    return this.groups.get(conversation) ?? conversation.slice(2).split(":");
  }

  private post(conversation: string, message: Json, except?: RelaySocket): void {
    const to = new Set([...this.membersOf(conversation), ...(this.groups.has(conversation) ? this.leakTo : [])]);
    for (const member of to) this.live(member).filter((s) => s !== except).forEach((s) => s.post(message));
  }

  /** A group's membership change, as the server's system message. */
  system(conversation: string, by: string, event: "created" | "removed", members: string[]): void {
    const before = this.groups.get(conversation) ?? [];
    this.groups.set(conversation, event === "created" ? members : before.filter((m) => !members.includes(m)));
    const log = this.log.get(conversation) ?? [];
    this.log.set(conversation, log);
    const seq = log.length + 1;
    const message = { type: "message", conversation, seq, messageId: `M${seq}`, id: `sys${seq}`, from: by, ts: Date.now(), cursor: `c${seq}`, system: { event, members, name: "Climbing" } };
    log.push(message);
    for (const member of new Set([...before, ...members])) this.live(member).forEach((s) => s.post(message));
  }

  /** Delivers a device's held inbox live, as a reconnect's sync would. */
  release(user: string, device: string): void {
    this.quiet.delete(`${user}|${device}`);
    const inbox = this.inboxes.get(`${user}|${device}`) ?? [];
    this.live(user, device).forEach((s) => s.post({ type: "toDevice", messages: inbox }));
  }

  /** Every send frame the server got from `user`. */
  sends(user: string): Json[] {
    return this.got.filter((g) => g.user === user).map((g) => JSON.parse(g.raw) as Json).filter((f) => f.action === "send");
  }
}

let n = 0;

async function device(relay: Relay, user: string, deviceId: string, createdAt = 0) {
  const encryption = await DeviceEncryption.open(user, deviceId, createdAt, "memory");
  const store = await openIdbStore(`e2ee-${user}-${deviceId}-${++n}`);
  const client = new ParleyClient({
    websocketUrl: "ws://127.0.0.1:9/dev", userId: user, tokenProvider: async () => "tok", store, encryption,
    socketFactory: relay.factory(user, deviceId),
  });
  const messages: StoredMessage[] = [];
  client.subscribe({ message: (m) => messages.push(m) });
  await client.start();
  const bodyOf = async (conversation: string, seq: number) => (await store.getMessage(conversation, seq));
  return { client, store, messages, encryption, bodyOf };
}

const DIRECT = directConversation("alice", "bob");

describe("encryption in the client", { timeout: 30_000 }, () => {
  it("a direct message goes out encrypted (no plaintext in any frame), and is read on the other side", async () => {
    const relay = new Relay();
    const alice = await device(relay, "alice", "ALICEDEVICE00001");
    const bob = await device(relay, "bob", "BOBDEVICE0000001");
    // Both devices uploaded their keys on connect.
    await vi.waitFor(() => expect([...new Set(relay.got.filter((g) => g.raw.includes('"keysUpload"')).map((g) => g.user))].sort()).toEqual(["alice", "bob"]), { timeout: 10_000 });

    await alice.client.send({ toUser: "bob", body: "meet at the north gate" });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.body).toBe("meet at the north gate"), { timeout: 10_000 });
    const received = (await bob.bodyOf(DIRECT, 1))!;
    expect(received.encrypted).toBe(true);
    expect(received.sealed).toBeUndefined();
    // Alice's own copy reads as written; her outbox kept the text on her side only.
    await vi.waitFor(async () => expect((await alice.bodyOf(DIRECT, 1))?.body).toBe("meet at the north gate"));

    const [sent] = relay.sends("alice");
    expect(sent!.body).toBeUndefined();
    expect(JSON.parse(sent!.encrypted as string).algorithm).toBe("m.megolm.v1.aes-sha2");
    expect(relay.got.some((g) => g.raw.includes("north gate"))).toBe(false);

    // And back, on the session Bob's device makes.
    await bob.client.send({ conversation: DIRECT, body: "on my way" });
    await vi.waitFor(async () => expect((await alice.bodyOf(DIRECT, 2))?.body).toBe("on my way"), { timeout: 10_000 });
    expect(relay.got.some((g) => g.raw.includes("on my way"))).toBe(false);
    // An edit goes the same way: the kind and target beside the ciphertext, the text inside.
    await alice.client.send({ conversation: DIRECT, kind: "edit", target: 1, body: "meet at the south gate" });
    // Decrypted before it is folded: the edit is the target's state, never a message of its own.
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.state?.edited?.body).toBe("meet at the south gate"), { timeout: 10_000 });
    expect(await bob.bodyOf(DIRECT, 3)).toBeUndefined();
    const edit = relay.sends("alice")[1]!;
    expect([edit.kind, edit.target, edit.body, typeof edit.encrypted]).toEqual(["edit", 1, undefined, "string"]);
    expect(relay.got.some((g) => g.raw.includes("south gate"))).toBe(false);
    // A device that gets the edit only inside a synced state opens it under an id made from its
    // seq: one the engine accepts (with a ':' in it, `<conversation>:<seq>`, it refused).
    const fromState = await bob.encryption.open(DIRECT, "alice", snapshotEntryId(DIRECT, 3), Date.now(), edit.encrypted as string);
    expect(fromState).toMatchObject({ kind: "decrypted", content: { body: "meet at the south gate" } });
    const colon = await bob.encryption.open(DIRECT, "alice", `${DIRECT}:3`, Date.now(), edit.encrypted as string);
    expect(colon.kind).toBe("undecryptable");
    // Each sees the other's device, with its fingerprint.
    const bobsDevices = await alice.client.devices("bob");
    expect(bobsDevices).toEqual([{ deviceId: "BOBDEVICE0000001", ed25519: bob.encryption.crypto.identityKeys().ed25519, own: false, firstSeen: expect.any(Number), verified: false }]);
    expect((await alice.client.devices("alice")).find((d) => d.own)?.deviceId).toBe("ALICEDEVICE00001");
    alice.client.stop();
    bob.client.stop();
  });

  it("a text too long to encrypt into one browser frame is refused before it is stored", async () => {
    const relay = new Relay();
    const alice = await device(relay, "alice", "ALICEDEVICE00005");
    const bob = await device(relay, "bob", "BOBDEVICE0000005");
    await expect(alice.client.send({ toUser: "bob", body: "é".repeat(10 * 1024 + 1) })).rejects.toMatchObject({ code: "too_large" });
    expect(await alice.store.listOutbox()).toEqual([]);
    // The longest text allowed goes, in a frame under API Gateway's 32 KiB.
    const longest = "é".repeat(10 * 1024);
    await alice.client.send({ toUser: "bob", body: longest });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.body).toBe(longest), { timeout: 10_000 });
    const frame = relay.got.find((g) => g.user === "alice" && g.raw.includes('"action":"send"'))!;
    expect(new TextEncoder().encode(frame.raw).length).toBeLessThan(32 * 1024);
    alice.client.stop();
    bob.client.stop();
  });

  it("a file: its bytes encrypted, its real name, type and key inside the message, a neutral attachment beside it", async () => {
    const relay = new Relay();
    const alice = await device(relay, "alice", "ALICEDEVICE00006");
    const bob = await device(relay, "bob", "BOBDEVICE0000006");
    const bytes = new TextEncoder().encode("the route up the north face");
    const { data, file } = alice.encryption.encryptFile(bytes);
    expect(data.length).toBe(bytes.length);
    expect(Buffer.from(data).equals(Buffer.from(bytes))).toBe(false);
    const key = "c/d.alice.bob/u1/file";
    const neutral = { key, name: SEALED_FILE_NAME, contentType: SEALED_FILE_TYPE, size: data.length };
    await alice.client.outbox.enqueue({ toUser: "bob", attachment: neutral }, { attachment: { key, name: "route.txt", contentType: "text/plain", size: bytes.length, file } });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.attachment?.name).toBe("route.txt"), { timeout: 10_000 });
    const got = (await bob.bodyOf(DIRECT, 1))!.attachment!;
    expect(isSealed(got)).toBe(true);
    expect(new TextDecoder().decode(bob.encryption.decryptFile(data, (got as SealedAttachment).file))).toBe("the route up the north face");
    // Alice's own copy shows the real name too; the server saw only the neutral one.
    await vi.waitFor(async () => expect((await alice.bodyOf(DIRECT, 1))?.attachment?.name).toBe("route.txt"));
    const [sent] = relay.sends("alice");
    expect(sent!.attachment).toEqual(neutral);
    expect(relay.got.some((g) => g.raw.includes("route.txt") || g.raw.includes("text/plain"))).toBe(false);
    // Bytes changed on the way are refused.
    const tampered = Uint8Array.from(data);
    tampered[0] = tampered[0]! ^ 1;
    expect(() => bob.encryption.decryptFile(tampered, (got as SealedAttachment).file)).toThrow();
    alice.client.stop();
    bob.client.stop();
  });

  it("a message whose key has not arrived waits, and is decrypted (once) when the key comes", async () => {
    const relay = new Relay();
    const alice = await device(relay, "alice", "ALICEDEVICE00002");
    const bob = await device(relay, "bob", "BOBDEVICE0000002");
    await vi.waitFor(() => expect(new Set(relay.got.filter((g) => g.raw.includes('"keysUpload"')).map((g) => g.user)).size).toBe(2), { timeout: 10_000 });
    // Bob's live to-device messages are held: the message comes before its key.
    relay.quiet.add("bob|BOBDEVICE0000002");
    await alice.client.send({ toUser: "bob", body: "first light" });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.sealed?.state).toBe("waiting"), { timeout: 10_000 });
    const waiting = (await bob.bodyOf(DIRECT, 1))!;
    expect(waiting.body).toBeUndefined();
    expect(await bob.store.listWaiting()).toEqual([{ conversation: DIRECT, seq: 1 }]);

    relay.release("bob", "BOBDEVICE0000002");
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.body).toBe("first light"), { timeout: 10_000 });
    expect((await bob.bodyOf(DIRECT, 1))?.sealed).toBeUndefined();
    expect(await bob.store.listWaiting()).toEqual([]);
    // The listener heard of it twice: waiting, then decrypted.
    expect(bob.messages.filter((m) => m.seq === 1).map((m) => m.body)).toEqual([undefined, "first light"]);
    // The inbox was acknowledged once its messages were fed.
    await vi.waitFor(() => expect(relay.got.some((g) => g.user === "bob" && g.raw.includes('"toDeviceAck"'))).toBe(true));
    alice.client.stop();
    bob.client.stop();
  });

  it("a device made after a message reads it as sent before this device, not as waiting", async () => {
    const relay = new Relay();
    const alice = await device(relay, "alice", "ALICEDEVICE00003");
    const bob = await device(relay, "bob", "BOBDEVICE0000003");
    await alice.client.send({ toUser: "bob", body: "before your new phone" });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.body).toBe("before your new phone"), { timeout: 10_000 });
    bob.client.stop();

    // Bob signs in again: a new device, made now, syncs the history.
    const again = await device(relay, "bob", "BOBDEVICE0000004", Date.now() + 1);
    await vi.waitFor(async () => expect((await again.bodyOf(DIRECT, 1))?.sealed?.state).toBe("beforeDevice"), { timeout: 10_000 });
    expect((await again.bodyOf(DIRECT, 1))?.body).toBeUndefined();

    // What Alice sends next reaches the new device too: she asks for Bob's devices again
    // (on connect; here, a fresh connection).
    alice.client.connection.reconnectNow();
    await vi.waitFor(() => expect(alice.client.connection.isOpen).toBe(true));
    await alice.client.send({ conversation: DIRECT, body: "welcome back" });
    await vi.waitFor(async () => expect((await again.bodyOf(DIRECT, 2))?.body).toBe("welcome back"), { timeout: 10_000 });
    const bobs = await alice.client.devices("bob");
    expect(bobs.map((d) => d.deviceId).sort()).toEqual(["BOBDEVICE0000003", "BOBDEVICE0000004"]);
    // The one that came later is marked new in the Devices panel.
    expect([...newDevices(bobs, Date.now())]).toEqual(["BOBDEVICE0000004"]);
    alice.client.stop();
    again.client.stop();
  });
});

describe("device lists", { timeout: 30_000 }, () => {
  it("a contact's new device, announced, gets the next message at once (not a minute later)", async () => {
    const relay = new Relay();
    relay.announce = true;
    const alice = await device(relay, "alice", "ALICEDEVICE00020");
    const bob = await device(relay, "bob", "BOBDEVICE0000020");
    await alice.client.send({ toUser: "bob", body: "one" });
    await vi.waitFor(async () => expect((await bob.bodyOf(DIRECT, 1))?.body).toBe("one"), { timeout: 10_000 });
    // Bob adds a device; Alice has asked for his devices a moment ago, but hears of it.
    const second = await device(relay, "bob", "BOBDEVICE0000021", Date.now());
    await vi.waitFor(() => expect(relay.got.some((g) => g.user === "bob" && g.raw.includes("BOBDEVICE0000021") && g.raw.includes('"keysUpload"'))).toBe(true), { timeout: 10_000 });
    await alice.client.settled();
    await alice.client.send({ conversation: DIRECT, body: "two" });
    await vi.waitFor(async () => expect((await second.bodyOf(DIRECT, 2))?.body).toBe("two"), { timeout: 10_000 });
    expect((await alice.client.devices("bob")).map((d) => d.deviceId).sort()).toEqual(["BOBDEVICE0000020", "BOBDEVICE0000021"]);

    // Signing out asks the server to forget the device.
    await second.client.removeDevice();
    expect(relay.got.some((g) => g.user === "bob" && g.raw.includes('"removeDevice"') && g.raw.includes("BOBDEVICE0000021"))).toBe(true);
    for (const d of [alice, bob, second]) d.client.stop();
  });
});

describe("encryption in a group", { timeout: 30_000 }, () => {
  it("every member reads; once one is removed, the next message is under a new key they never get", async () => {
    const relay = new Relay();
    const [alice, bob, carol] = await Promise.all([
      device(relay, "alice", "ALICEDEVICE00010"), device(relay, "bob", "BOBDEVICE0000010"), device(relay, "carol", "CAROLDEVICE00010"),
    ]);
    const group = "g:0123456789abcdef0123456789abcdef";
    relay.system(group, "alice", "created", ["alice", "bob", "carol"]);
    await vi.waitFor(async () => expect((await alice.store.getConversation(group))?.members.length).toBe(3), { timeout: 10_000 });
    await alice.client.send({ conversation: group, body: "ropes at nine" });
    for (const member of [bob, carol]) {
      await vi.waitFor(async () => expect((await member.bodyOf(group, 2))?.body).toBe("ropes at nine"), { timeout: 10_000 });
    }

    relay.system(group, "alice", "removed", ["carol"]);
    await vi.waitFor(async () => expect((await alice.store.getConversation(group))?.members.sort()).toEqual(["alice", "bob"]), { timeout: 10_000 });
    // The server hands Carol the next message anyway: she cannot read it, Bob can.
    relay.leakTo.add("carol");
    await alice.client.send({ conversation: group, body: "without carol" });
    await vi.waitFor(async () => expect((await bob.bodyOf(group, 4))?.body).toBe("without carol"), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await carol.bodyOf(group, 4))?.sealed?.state).toBe("waiting"), { timeout: 10_000 });
    const [first, second] = relay.sends("alice").map((f) => JSON.parse(f.encrypted as string).session_id as string);
    expect(second).not.toBe(first);
    expect(relay.got.some((g) => g.raw.includes("without carol") || g.raw.includes("ropes at nine"))).toBe(false);
    for (const d of [alice, bob, carol]) d.client.stop();
  });
});

describe("key frames within the protocol's limits", () => {
  it("claims go in parts of at most 250 devices", () => {
    const devices = { a: Array.from({ length: 300 }, (_, i) => `A${i}`), b: ["B0", "B1"] };
    const parts = claimChunks(devices);
    expect(parts.map((p) => Object.values(p).flat().length)).toEqual([250, 52]);
    expect(parts.flatMap((p) => Object.entries(p).flatMap(([u, ids]) => ids.map((d) => `${u}/${d}`)))).toHaveLength(302);
  });

  it("to-device messages go in frames of at most 100 messages and 28 KiB", () => {
    const content = JSON.stringify({ ciphertext: "x".repeat(2_200) });
    const messages: Record<string, Record<string, string>> = {};
    for (let u = 0; u < 30; u++) messages[`user${u}`] = { D1: content, D2: content };
    const parts = toDeviceChunks(messages);
    for (const part of parts) expect(JSON.stringify({ action: "sendToDevice", id: "x".repeat(36), eventType: "m.room.encrypted", messages: part }).length).toBeLessThan(MAX_TO_DEVICE_FRAME_BYTES + 200);
    expect(parts.reduce((n, p) => n + Object.values(p).reduce((m, d) => m + Object.keys(d).length, 0), 0)).toBe(60);
    const small = toDeviceChunks(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`u${i}`, { D: "{}" }])));
    expect(small.map((p) => Object.keys(p).length)).toEqual([100, 50]);
  });
});
