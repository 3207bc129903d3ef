// End-to-end encryption, stage 0 (docs/proposals/e2e-encryption.md §12): two web client
// engines (@matrix-org/matrix-sdk-crypto-wasm, its Node entry, in-memory stores) exchange a
// Megolm message through a toy key directory, the server's future role in a few Maps. The
// Rust ↔ wasm direction is client/tests/olm_interop.rs (with web/test/olm-peer.mjs).
import { describe, expect, it } from "vitest";
import {
  DecryptionSettings,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  OlmMachine,
  ProcessedToDeviceEventType,
  RequestType,
  RoomId,
  ShieldStateCode,
  ToDeviceRequest,
  TrustRequirement,
  UserId,
  initAsync,
} from "@matrix-org/matrix-sdk-crypto-wasm";

// Matrix JSON as the machines produce and expect it: the directory only moves it around.
type Json = Record<string, any>;
/** What `outgoingRequests()` yields (the package does not export the union's name). */
type Outgoing = Awaited<ReturnType<OlmMachine["outgoingRequests"]>>[number];

const ROOM = "!d.alice.bob:parley";
const ALICE = "@alice:parley";
const BOB = "@bob:parley";

/** Device keys, one-time keys, fallback keys and to-device inboxes, keyed by "user|device". */
class KeyDirectory {
  deviceKeys = new Map<string, Map<string, Json>>();
  oneTimeKeys = new Map<string, Map<string, Json>>();
  fallbackKeys = new Map<string, Json>();
  inboxes = new Map<string, Json[]>();

  upload(user: string, device: string, body: Json): Json {
    const at = `${user}|${device}`;
    if (body.device_keys) {
      if (!this.deviceKeys.has(user)) this.deviceKeys.set(user, new Map());
      this.deviceKeys.get(user)!.set(device, body.device_keys);
    }
    const stock = this.oneTimeKeys.get(at) ?? new Map<string, Json>();
    for (const [id, key] of Object.entries(body.one_time_keys ?? {})) stock.set(id, key as Json);
    this.oneTimeKeys.set(at, stock);
    if (body.fallback_keys && Object.keys(body.fallback_keys).length) this.fallbackKeys.set(at, body.fallback_keys);
    return { one_time_key_counts: { signed_curve25519: stock.size } };
  }

  query(body: Json): Json {
    const device_keys: Json = {};
    for (const user of Object.keys(body.device_keys)) {
      device_keys[user] = Object.fromEntries(this.deviceKeys.get(user) ?? new Map());
    }
    return { device_keys, failures: {} };
  }

  claim(body: Json): Json {
    const one_time_keys: Json = {};
    for (const [user, devices] of Object.entries(body.one_time_keys as Json)) {
      for (const device of Object.keys(devices)) {
        const stock = this.oneTimeKeys.get(`${user}|${device}`);
        const first = stock?.keys().next().value;
        let key: Json | undefined;
        if (stock && first !== undefined) {
          key = { [first]: stock.get(first) };
          stock.delete(first);
        } else {
          key = this.fallbackKeys.get(`${user}|${device}`);
        }
        if (key) (one_time_keys[user] ??= {})[device] = key;
      }
    }
    return { one_time_keys, failures: {} };
  }

  sendToDevice(sender: string, eventType: string, body: Json): Json {
    for (const [user, devices] of Object.entries(body.messages as Json)) {
      for (const [device, content] of Object.entries(devices as Json)) {
        const at = `${user}|${device}`;
        this.inboxes.set(at, [...(this.inboxes.get(at) ?? []), { type: eventType, sender, content }]);
      }
    }
    return {};
  }

  /** Empties a device's inbox. */
  take(user: string, device: string): Json[] {
    const at = `${user}|${device}`;
    const events = this.inboxes.get(at) ?? [];
    this.inboxes.delete(at);
    return events;
  }

  count(user: string, device: string): number {
    return this.oneTimeKeys.get(`${user}|${device}`)?.size ?? 0;
  }
}

const untrusted = () => new DecryptionSettings(TrustRequirement.Untrusted);

/** Serves one request of `machine` from the directory and hands the answer back. */
async function serve(directory: KeyDirectory, machine: OlmMachine, request: Outgoing) {
  const body = JSON.parse(request.body);
  const user = machine.userId.toString();
  const device = machine.deviceId.toString();
  let answer: Json;
  switch (request.type) {
    case RequestType.KeysUpload:
      answer = directory.upload(user, device, body);
      break;
    case RequestType.KeysQuery:
      answer = directory.query(body);
      break;
    case RequestType.KeysClaim:
      answer = directory.claim(body);
      break;
    case RequestType.ToDevice:
      if (!(request instanceof ToDeviceRequest)) throw new Error("a to-device request of another class");
      answer = directory.sendToDevice(user, request.event_type, body);
      break;
    default:
      throw new Error(`Parley serves no request of type ${request.type}`);
  }
  if (request.id === undefined) throw new Error("a request without an id");
  await machine.markRequestAsSent(request.id, request.type, JSON.stringify(answer));
}

async function pump(directory: KeyDirectory, machine: OlmMachine) {
  for (let round = 0; round < 10; round++) {
    const requests = await machine.outgoingRequests();
    if (requests.length === 0) return;
    for (const request of requests) await serve(directory, machine, request);
  }
  throw new Error("still sending after 10 rounds");
}

async function sync(directory: KeyDirectory, machine: OlmMachine) {
  const user = machine.userId.toString();
  const device = machine.deviceId.toString();
  const processed = await machine.receiveSyncChanges(
    JSON.stringify(directory.take(user, device)),
    new DeviceLists([], []),
    new Map([["signed_curve25519", directory.count(user, device)]]),
    new Set(),
    untrusted(),
  );
  return processed.map((p) => ({ decrypted: p.type === ProcessedToDeviceEventType.Decrypted, type: JSON.parse(p.rawEvent).type }));
}

/** Shares the room key with `users` and encrypts `body`; answers the event as the server stores it. */
async function send(directory: KeyDirectory, machine: OlmMachine, users: string[], eventId: string, body: string) {
  await machine.updateTrackedUsers(users.map((u) => new UserId(u)));
  await pump(directory, machine);
  const claim = await machine.getMissingSessions(users.map((u) => new UserId(u)));
  if (claim) await serve(directory, machine, claim);
  const settings = new EncryptionSettings();
  settings.historyVisibility = HistoryVisibility.Joined;
  for (const request of await machine.shareRoomKey(new RoomId(ROOM), users.map((u) => new UserId(u)), settings)) {
    await serve(directory, machine, request);
  }
  const content = JSON.parse(await machine.encryptRoomEvent(new RoomId(ROOM), "parley.message", JSON.stringify({ body })));
  return { type: "m.room.encrypted", sender: machine.userId.toString(), event_id: eventId, origin_server_ts: 1764068700789, content };
}

describe("the web client's encryption engine", () => {
  it("carries a Megolm message between two devices, both ways, and flags a spoofed sender", async () => {
    await initAsync();
    const directory = new KeyDirectory();
    const alice = await OlmMachine.initialize(new UserId(ALICE), new DeviceId("ALICEBROWSER"));
    const bob = await OlmMachine.initialize(new UserId(BOB), new DeviceId("BOBBROWSER01"));
    for (const machine of [alice, bob]) await pump(directory, machine);
    expect(directory.count(BOB, "BOBBROWSER01")).toBeGreaterThan(0);
    const bobKeys = directory.count(BOB, "BOBBROWSER01");

    const hello = await send(directory, alice, [ALICE, BOB], "$m1", "hello bob");
    expect(directory.count(BOB, "BOBBROWSER01")).toBe(bobKeys - 1);
    expect(JSON.stringify(hello.content)).not.toContain("hello bob");
    await bob.updateTrackedUsers([new UserId(ALICE)]);
    await pump(directory, bob);
    expect(await sync(directory, bob)).toEqual([{ decrypted: true, type: "m.room_key" }]);
    const decrypted = await bob.decryptRoomEvent(JSON.stringify(hello), new RoomId(ROOM), untrusted());
    expect(JSON.parse(decrypted.event)).toMatchObject({ type: "parley.message", content: { body: "hello bob" }, room_id: ROOM });
    expect(decrypted.sender.toString()).toBe(ALICE);
    expect(decrypted.senderDevice?.toString()).toBe("ALICEBROWSER");
    expect(decrypted.shieldState(false).code).not.toBe(ShieldStateCode.MismatchedSender);

    const reply = await send(directory, bob, [ALICE, BOB], "$m2", "hi alice");
    expect(await sync(directory, alice)).toEqual([{ decrypted: true, type: "m.room_key" }]);
    const back = await alice.decryptRoomEvent(JSON.stringify(reply), new RoomId(ROOM), untrusted());
    expect(JSON.parse(back.event).content.body).toBe("hi alice");

    // The same event passed off as alice's own: decrypted, but flagged.
    const spoofed = await alice.decryptRoomEvent(JSON.stringify({ ...reply, sender: ALICE }), new RoomId(ROOM), untrusted());
    expect(spoofed.shieldState(false).code).toBe(ShieldStateCode.MismatchedSender);
    // Replayed into another conversation: refused (the room id is inside the ciphertext).
    await expect(bob.decryptRoomEvent(JSON.stringify(hello), new RoomId("!d.bob.carol:parley"), untrusted())).rejects.toThrow();

    alice.close();
    bob.close();
  });
});
