// Device verification by comparing emojis (issue 15; src/client/crypto/verification.ts): two
// devices, each a real engine (the wasm's Node entry, in-memory stores) behind the client's
// `DeviceEncryption`, exchange the library's own `m.key.verification.*` messages through a toy
// key directory that keeps each device's to-device inbox, as the server does. Both sides show
// the same seven emojis and end verified; "they don't match" and a declined request end
// cancelled on both sides, nothing verified; a device added later is not verified.
import { initAsync } from "@matrix-org/matrix-sdk-crypto-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { DeviceEncryption } from "../src/client/crypto/device";
import type { InboxMessage } from "../src/client/encryption";
import type { Outgoing } from "../src/client/crypto/requests";
import type { VerificationView } from "../src/client/verification";
import { KeyDirectory } from "./key-directory";

const ALICE = "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15";
const BOB = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
const DIRECT = `d:${ALICE}:${BOB}`;

beforeAll(async () => {
  await initAsync();
});

let inboxIds = 0;

/** A device of `user` as the client drives it: connected, its inbox fed to it on `pump`. */
async function device(directory: KeyDirectory, user: string, id: string) {
  const encryption = await DeviceEncryption.open(user, id, 0, "memory");
  const direct = directory.transport(user, id);
  /** The event types of the verification messages this device sent, in order. */
  const sent: string[] = [];
  const transport = {
    send: (request: Outgoing) => {
      if (request.kind === "toDevice" && request.eventType.startsWith("m.key.verification.")) sent.push(request.eventType.slice("m.key.verification.".length));
      return direct.send(request);
    },
  };
  await encryption.connected(transport);
  const views: VerificationView[] = [];
  encryption.verifications.subscribe((view) => views.push(view));
  /** The users of each stored device change the engine reported. */
  const devicesChanged: string[][] = [];
  encryption.verifications.onDevicesChanged((users) => devicesChanged.push(users));
  return {
    user,
    id,
    encryption,
    transport,
    views,
    sent,
    devicesChanged,
    verifier: encryption.verifications,
    /** Whether its inbox had anything: fed like a `toDevice` frame, then the client's exchange. */
    async pump(): Promise<boolean> {
      const { toDevice, oneTimeKeyCounts } = directory.sync(user, id);
      await encryption.counts(oneTimeKeyCounts, ["signed_curve25519"]);
      const messages: InboxMessage[] = toDevice.map((m) => ({ ...m, id: `td${++inboxIds}`, fromDevice: "?" }) as InboxMessage);
      if (messages.length > 0) await encryption.receive(messages);
      await encryption.exchange(transport);
      await encryption.verifications.settled();
      return messages.length > 0;
    },
    /** The flow's latest view here. */
    last(): VerificationView | undefined {
      return views[views.length - 1];
    },
  };
}

type Device = Awaited<ReturnType<typeof device>>;

/** Delivers every inbox until none has anything (each round may answer the last). */
async function deliver(...devices: Device[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    let any = false;
    for (const d of devices) any = (await d.pump()) || any;
    if (!any) return;
  }
  throw new Error("the devices keep messaging each other");
}

/** Alice and Bob, one device each, who have chatted: each knows the other's device. */
async function pair() {
  const directory = new KeyDirectory();
  const alice = await device(directory, ALICE, "ALICEBROWSER0001");
  const bob = await device(directory, BOB, "BOBBROWSER000001");
  await alice.encryption.seal(alice.transport, DIRECT, [ALICE, BOB], { body: "hello" });
  await bob.encryption.seal(bob.transport, DIRECT, [ALICE, BOB], { body: "hi" });
  await deliver(alice, bob);
  return { directory, alice, bob };
}

async function verified(of: Device, user: string): Promise<Record<string, boolean>> {
  return Object.fromEntries((await of.encryption.devices(user)).map((d) => [d.deviceId, d.verified]));
}

/** Alice asks to verify Bob's device; Bob accepts; both come to compare emojis. */
async function toEmojis(alice: Device, bob: Device): Promise<string> {
  const flowId = await alice.verifier.start(BOB, bob.id);
  expect(alice.last()).toMatchObject({ flowId, user: BOB, deviceId: bob.id, weStarted: true, phase: "waiting" });
  await deliver(alice, bob);
  // Bob is asked (the UI's banner), by Alice's device.
  expect(bob.last()).toMatchObject({ flowId, user: ALICE, deviceId: alice.id, weStarted: false, phase: "requested" });
  expect(bob.verifier.list().map((v) => v.flowId)).toEqual([flowId]);
  await bob.verifier.accept(flowId);
  await deliver(alice, bob);
  expect(alice.last()?.phase).toBe("compare");
  expect(bob.last()?.phase).toBe("compare");
  return flowId;
}

describe("verifying a device by comparing emojis", { timeout: 30_000 }, () => {
  it("both sides show the same seven emojis; when both confirm, each has the other's device verified", async () => {
    const { alice, bob } = await pair();
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: false });
    const flowId = await toEmojis(alice, bob);

    const emojis = alice.last()!.emojis!;
    expect(emojis).toHaveLength(7);
    for (const e of emojis) {
      expect(e.symbol.length).toBeGreaterThan(0);
      expect(e.description).toMatch(/^[A-Z][a-z]/);
    }
    expect(bob.last()!.emojis).toEqual(emojis);

    // Alice confirms first: she waits for Bob, nothing verified yet.
    await alice.verifier.confirm(flowId);
    await deliver(alice, bob);
    expect(alice.last()?.phase).toBe("confirmed");
    expect(bob.last()?.phase).toBe("compare");
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: false });

    const before = alice.devicesChanged.length;
    await bob.verifier.confirm(flowId);
    await deliver(alice, bob);
    expect(alice.last()).toMatchObject({ flowId, phase: "done" });
    expect(bob.last()).toMatchObject({ flowId, phase: "done" });
    // The engine reported the stored trust: the UI reads the devices again on this.
    expect(alice.devicesChanged.slice(before)).toContainEqual([BOB]);
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: true });
    expect(await verified(bob, ALICE)).toEqual({ [alice.id]: true });
    // The views went through the phases in order.
    expect(dedupe(alice.views.map((v) => v.phase))).toEqual(["waiting", "compare", "confirmed", "done"]);
    expect(dedupe(bob.views.map((v) => v.phase))).toEqual(["requested", "waiting", "compare", "confirmed", "done"]);
    // The emojis stay shown while one side waits for the other, and after.
    expect(alice.last()!.emojis).toEqual(emojis);
    // The library's standard to-device flow, each message once, in the clear (SAS needs no secrecy).
    expect(alice.sent).toEqual(["request", "start", "key", "mac", "done"]);
    expect(bob.sent).toEqual(["ready", "accept", "key", "mac", "done"]);
    alice.encryption.close();
    bob.encryption.close();
  });

  it("\"they don't match\" cancels on both sides, with the reason, and verifies nothing", async () => {
    const { alice, bob } = await pair();
    const flowId = await toEmojis(alice, bob);
    await alice.verifier.confirm(flowId);
    await bob.verifier.mismatch(flowId);
    await deliver(alice, bob);
    expect(bob.last()).toMatchObject({ flowId, phase: "cancelled", cancelled: { code: "m.mismatched_sas", byUs: true } });
    expect(alice.last()).toMatchObject({ flowId, phase: "cancelled", cancelled: { code: "m.mismatched_sas", byUs: false } });
    expect(alice.last()!.cancelled!.reason.length).toBeGreaterThan(0);
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: false });
    expect(await verified(bob, ALICE)).toEqual({ [alice.id]: false });
    // Confirming a cancelled flow verifies nothing either.
    await alice.verifier.confirm(flowId);
    await deliver(alice, bob);
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: false });
    alice.encryption.close();
    bob.encryption.close();
  });

  it("a declined request is cancelled on both sides, before any emoji", async () => {
    const { alice, bob } = await pair();
    const flowId = await alice.verifier.start(BOB, bob.id);
    await deliver(alice, bob);
    expect(bob.last()?.phase).toBe("requested");
    await bob.verifier.cancel(flowId);
    await deliver(alice, bob);
    expect(bob.last()).toMatchObject({ phase: "cancelled", cancelled: { code: "m.user", byUs: true } });
    expect(alice.last()).toMatchObject({ phase: "cancelled", cancelled: { code: "m.user", byUs: false } });
    expect(alice.views.some((v) => v.emojis !== undefined)).toBe(false);
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: false });
    alice.encryption.close();
    bob.encryption.close();
  });

  it("a device Bob adds after the verification shows unverified beside the verified one", async () => {
    const { directory, alice, bob } = await pair();
    const flowId = await toEmojis(alice, bob);
    await alice.verifier.confirm(flowId);
    await bob.verifier.confirm(flowId);
    await deliver(alice, bob);
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: true });

    // Bob signs in on another browser: a new device, with keys of its own.
    const second = await device(directory, BOB, "BOBBROWSER000002");
    await alice.encryption.changed([BOB]);
    await alice.encryption.seal(alice.transport, DIRECT, [ALICE, BOB], { body: "which one is you?" });
    expect(await verified(alice, BOB)).toEqual({ [bob.id]: true, [second.id]: false });
    alice.encryption.close();
    bob.encryption.close();
    second.encryption.close();
  });

  it("new keys under a verified device's id are not taken: the verified keys stay, verified", async () => {
    const { directory, alice, bob } = await pair();
    const flowId = await toEmojis(alice, bob);
    await alice.verifier.confirm(flowId);
    await bob.verifier.confirm(flowId);
    await deliver(alice, bob);
    const verifiedKey = bob.encryption.crypto.identityKeys().ed25519;

    // Someone else's engine under Bob's device id puts its own keys in the directory.
    const impostor = await device(directory, BOB, bob.id);
    expect(impostor.encryption.crypto.identityKeys().ed25519).not.toBe(verifiedKey);
    expect((directory.devices.get(BOB)?.get(bob.id)?.keys as Record<string, string>)[`ed25519:${bob.id}`]).toBe(impostor.encryption.crypto.identityKeys().ed25519);
    await alice.encryption.changed([BOB]);
    await alice.encryption.seal(alice.transport, DIRECT, [ALICE, BOB], { body: "who is there?" });
    const seen = await alice.encryption.devices(BOB);
    expect(seen.map((d) => [d.deviceId, d.ed25519, d.verified])).toEqual([[bob.id, verifiedKey, true]]);
    alice.encryption.close();
    bob.encryption.close();
    impostor.encryption.close();
  });
});

function dedupe<T>(items: T[]): T[] {
  return items.filter((item, i) => i === 0 || items[i - 1] !== item);
}
