// This device's encryption as ParleyClient drives it (`MessageEncryption`, ../encryption.ts):
// the engine (`Crypto`) with the state the loop of the memo's §6.1 keeps beside it: the key
// counts the server last gave (the engine reads a missing count as "none left"), to-device
// messages held until the first counts came, the inbox ids already fed (a message may come
// live and again in a sync page before its ack lands, and a pre-key message must not be
// decrypted twice), and when each user's devices were last asked for.
import { Attachment, EncryptedAttachment, RoomId, UserId } from "@matrix-org/matrix-sdk-crypto-wasm";
import type { DeviceInfo, Inbound, InboxMessage, MessageEncryption } from "../encryption";
import { matrixUser, roomId } from "./ids";
import { Crypto, storeName, type CryptoStore } from "./machine";
import { decrypt, encrypt, receiveSync, type Decryption } from "./messages";
import type { KeyTransport } from "./requests";
import { Verifications } from "./verification";

/** A member's devices are asked for again before a send when the last answer is older (as the Rust client). */
export const DEVICES_FRESH_FOR_MS = 60_000;
/** Inbox ids remembered as fed. */
const REMEMBERED_IDS = 4096;

/** The IndexedDB databases the engine keeps for `user`'s device `device` (deleted at sign-out). */
export function cryptoDatabases(user: string, device: string): string[] {
  const name = storeName(user, device);
  return [`${name}::matrix-sdk-crypto`, `${name}::matrix-sdk-crypto-meta`];
}

export class DeviceEncryption implements MessageEncryption {
  private known: { counts: Record<string, number>; fallback: string[] } | undefined;
  private held: InboxMessage[] = [];
  private readonly seen = new Set<string>();
  private readonly asked = new Map<string, number>();
  /** This device's verification flows (SAS), sent over the transport of the last connect. */
  readonly verifications: Verifications;

  private constructor(
    readonly crypto: Crypto,
    readonly user: string,
    readonly createdAt: number,
    private readonly now: () => number,
  ) {
    this.deviceId = crypto.deviceId;
    this.verifications = new Verifications(crypto);
  }

  /** Opens `user`'s device `device` (made at `createdAt`, ms), in IndexedDB or in memory. */
  static async open(
    user: string, device: string, createdAt: number, store: CryptoStore = "indexeddb", now: () => number = Date.now,
  ): Promise<DeviceEncryption> {
    return new DeviceEncryption(await Crypto.open(user, device, store), user, createdAt, now);
  }

  /** Read once: the engine's objects are gone after `close`. */
  readonly deviceId: string;

  async connected(transport: KeyTransport): Promise<void> {
    this.verifications.attach(transport);
    // Devices may have come and gone while this one was away: every tracked user is asked again.
    this.asked.clear();
    await this.crypto.exclusive(() => this.crypto.machine.markAllTrackedUsersAsDirty());
    await this.crypto.processOutgoing(transport);
  }

  exchange(transport: KeyTransport): Promise<void> {
    this.verifications.attach(transport);
    return this.crypto.processOutgoing(transport);
  }

  async counts(oneTimeKeyCounts: Record<string, number>, unusedFallbackKeys: string[]): Promise<Inbound> {
    this.known = { counts: { signed_curve25519: 0, ...oneTimeKeyCounts }, fallback: unusedFallbackKeys };
    const held = this.held;
    this.held = [];
    return this.feed(held);
  }

  async receive(messages: InboxMessage[]): Promise<Inbound> {
    if (this.known === undefined) {
      this.held.push(...messages);
      return { acks: [], sessionIds: [] };
    }
    return this.feed(messages);
  }

  private async feed(messages: InboxMessage[]): Promise<Inbound> {
    const known = this.known;
    if (known === undefined) return { acks: [], sessionIds: [] };
    const fresh = messages.filter((m) => !this.seen.has(m.id) && isJsonObject(m.content));
    const received = await this.crypto.exclusive(() =>
      receiveSync(this.crypto, { toDevice: fresh, oneTimeKeyCounts: known.counts, unusedFallbackKeys: known.fallback }),
    );
    for (const m of fresh) this.remember(m.id);
    if (received.verificationRequests.length > 0) {
      // The requesting device may be new here: its keys are asked for with the next exchange
      // (the client's, after this batch), before its SAS start needs them.
      const users = [...new Set(received.verificationRequests.map((r) => r.user))];
      for (const user of users) this.asked.delete(user);
      await this.crypto.exclusive(async () => {
        await this.crypto.machine.updateTrackedUsers(users.map((u) => new UserId(matrixUser(u))));
        await this.crypto.machine.markAllTrackedUsersAsDirty();
      });
      this.verifications.received(received.verificationRequests);
    }
    return { acks: messages.map((m) => m.id), sessionIds: received.roomKeys.map((k) => k.sessionId) };
  }

  async seal(transport: KeyTransport, conversation: string, members: string[], content: Record<string, unknown>): Promise<string | undefined> {
    const others = [...new Set(members)].filter((m) => m !== this.user);
    await this.refresh(transport, [...others, this.user]);
    for (const member of others) {
      if ((await this.devices(member)).length === 0) {
        console.warn("a member has no device with keys: this message goes in the clear");
        return undefined;
      }
    }
    return encrypt(this.crypto, transport, conversation, others, content);
  }

  open(conversation: string, from: string, messageId: string, ts: number, encrypted: string): Promise<Decryption> {
    return decrypt(this.crypto, conversation, from, messageId, ts, encrypted).catch((e: unknown) => ({
      kind: "undecryptable" as const,
      reason: e instanceof Error ? e.message : String(e),
    }));
  }

  encryptFile(bytes: Uint8Array): { data: Uint8Array; file: Record<string, unknown> } {
    const encrypted = Attachment.encrypt(bytes);
    const info = encrypted.mediaEncryptionInfo;
    if (info === undefined) throw new Error("the engine gave no key for the file");
    return { data: encrypted.encryptedData, file: JSON.parse(info) as Record<string, unknown> };
  }

  decryptFile(data: Uint8Array, file: Record<string, unknown>): Uint8Array {
    return Attachment.decrypt(new EncryptedAttachment(data, JSON.stringify(file)));
  }

  async changed(users: string[]): Promise<void> {
    // Asked for again before the next send to them (`refresh`).
    for (const user of users) this.asked.delete(user);
  }

  async forget(conversation: string): Promise<void> {
    await this.crypto.machine.invalidateGroupSession(new RoomId(roomId(conversation)));
  }

  async devices(user: string): Promise<DeviceInfo[]> {
    const devices = await this.crypto.machine.getUserDevices(new UserId(matrixUser(user)));
    return devices.devices().map((d) => {
      const own = user === this.user && d.deviceId.toString() === this.deviceId;
      const info: DeviceInfo = {
        deviceId: d.deviceId.toString(),
        own,
        firstSeen: Number(d.firstTimeSeen()),
        // Locally trusted by a SAS verification (no cross-signing in Parley); the engine
        // trusts this very device anyway, which is no verification.
        verified: !own && d.isLocallyTrusted(),
      };
      const key = d.ed25519Key?.toBase64();
      if (key !== undefined) info.ed25519 = key;
      return info;
    });
  }

  close(): void {
    this.crypto.close();
  }

  /** Asks for the devices of the users not asked for within DEVICES_FRESH_FOR_MS. */
  private async refresh(transport: KeyTransport, users: string[]): Promise<void> {
    const now = this.now();
    const stale = users.filter((u) => now - (this.asked.get(u) ?? -Infinity) > DEVICES_FRESH_FOR_MS);
    if (stale.length === 0) return;
    const machine = this.crypto.machine;
    await this.crypto.exclusive(async () => {
      // A user tracked for the first time is asked for anyway; those tracked before are
      // marked for a new query. Not through receiveSyncChanges with the last counts: counts
      // older than an upload in flight would make the engine upload keys the server already
      // holds (it refuses over 100).
      await machine.updateTrackedUsers(stale.map((u) => new UserId(matrixUser(u))));
      await machine.markAllTrackedUsersAsDirty();
      await this.crypto.processOutgoingNow(transport);
    });
    for (const user of stale) this.asked.set(user, now);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    console.warn("a to-device message that is not JSON");
    return false;
  }
}
