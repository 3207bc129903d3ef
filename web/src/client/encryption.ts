/**
 * End-to-end encryption as the client library sees it (issue 15; docs/proposals/e2e-encryption.md
 * §6.1): `MessageEncryption` is what ParleyClient needs of this device's crypto engine, and
 * `socketKeys` carries the engine's requests over the client's own connection as key frames.
 * Only types come from ./crypto here: the engine (2 MB of wasm) is loaded lazily by the app
 * (src/app/session.ts) and handed in, so the first page load does not carry it.
 */
import type { Decryption } from "./crypto/messages";
import type { Answer, KeyTransport, MatrixJson, Outgoing } from "./crypto/requests";
import type { ClientFrame, FrameOf, ServerFrame } from "./protocol";
import type { DeviceVerifier } from "./verification";

export type { Decryption, KeyTransport };

/** A to-device message as the server delivers it (`toDevice.messages[]`). */
export type InboxMessage = FrameOf<"toDevice">["messages"][number];

/** What a batch of to-device messages did. */
export interface Inbound {
  /** Inbox ids the engine has stored the effect of: acknowledge them to the server. */
  acks: string[];
  /** Megolm sessions whose room key arrived: messages waiting for them can be decrypted. */
  sessionIds: string[];
}

/** One device of a user, as this device knows it from the key directory. */
export interface DeviceInfo {
  deviceId: string;
  /** The device's Ed25519 identity key (unpadded base64): its fingerprint. */
  ed25519?: string;
  /** This very device. */
  own: boolean;
  /** When this device first learnt of it (ms). */
  firstSeen: number;
  /** Verified from this device by comparing emojis (crypto/verification.ts); this very device is not. */
  verified: boolean;
}

/** This device's end-to-end encryption, as the client drives it. */
export interface MessageEncryption {
  /** The device id, sent as `?device=` at connect. */
  readonly deviceId: string;
  /** When this device was made (ms): messages older than it were never shared with it. */
  readonly createdAt: number;
  /** A connection opened: devices are asked for again, keys uploaded as needed. */
  connected(transport: KeyTransport): Promise<void>;
  /** Sends what the engine wants sent (after key counts changed). */
  exchange(transport: KeyTransport): Promise<void>;
  /** The device's key counts on the server (`keysUploaded`, `toDeviceSynced`, `toDeviceAcked`). */
  counts(oneTimeKeyCounts: Record<string, number>, unusedFallbackKeys: string[]): Promise<Inbound>;
  /** To-device messages, live or synced (held until the first counts came). */
  receive(messages: InboxMessage[]): Promise<Inbound>;
  /**
   * The `encrypted` content of `content` for the conversation, shared with every device of
   * `members` (Parley user ids, this user's own devices included); undefined when a member
   * has no device with keys (a client that does not encrypt): the message then goes in the
   * clear, as the Rust client does.
   */
  seal(transport: KeyTransport, conversation: string, members: string[], content: Record<string, unknown>): Promise<string | undefined>;
  /** Decrypts a message's `encrypted` content. */
  open(conversation: string, from: string, messageId: string, ts: number, encrypted: string): Promise<Decryption>;
  /** A file's bytes encrypted (AES-CTR, same length), and the key to them (`SealedAttachment.file`). */
  encryptFile(bytes: Uint8Array): { data: Uint8Array; file: Record<string, unknown> };
  /** Bytes `encryptFile` made back, checked against the key's hash (throws when they differ). */
  decryptFile(data: Uint8Array, file: Record<string, unknown>): Uint8Array;
  /** These users' device lists changed (`deviceChanged`): they are asked for again before the next send to them. */
  changed(users: string[]): Promise<void>;
  /** Members left the conversation: its next message starts a new room key, never shared with them. */
  forget(conversation: string): Promise<void>;
  /** A user's devices as last asked for (a new one shows once a send or a connect asked again). */
  devices(user: string): Promise<DeviceInfo[]>;
  /** Verifying other devices by comparing emojis (absent where the engine offers none). */
  readonly verifications?: DeviceVerifier;
  close(): void;
}

/** A request frame of the key actions, without its id (the client adds it). */
type KeyFrame = WithoutId<Extract<ClientFrame, { action: "keysUpload" | "keysQuery" | "keysClaim" | "sendToDevice" }>>;
type WithoutId<F> = F extends unknown ? Omit<F, "id"> : never;

/** Most users in one `keysQuery`, devices in one `keysClaim`, messages in one `sendToDevice` (protocol/src/limits.rs). */
export const MAX_KEY_QUERY_USERS = 250;
export const MAX_KEY_CLAIM_DEVICES = 250;
export const MAX_TO_DEVICE_PER_FRAME = 100;
/**
 * A browser sends each WebSocket message as one frame, and API Gateway closes a connection on
 * a frame over 32 KiB: the messages of one `sendToDevice` stay under this (one Olm-encrypted
 * room key is about 2.2 KB, at most 16 KiB).
 */
export const MAX_TO_DEVICE_FRAME_BYTES = 28 * 1024;

/**
 * The most text one encrypted message carries (UTF-8 bytes). Megolm makes about 1.37 × the
 * text + 450 bytes of its content, and the browser's frame must stay under API Gateway's
 * 32 KiB (docs/proposals/e2e-encryption.md §7).
 */
export const MAX_ENCRYPTED_BODY_BYTES = 20 * 1024;

/**
 * The engine's requests as key frames through `request` (ParleyClient.request: an id, a
 * reply, `keys` parts merged), split to the protocol's limits, the replies merged back.
 */
export function socketKeys(request: (frame: KeyFrame) => Promise<ServerFrame>): KeyTransport {
  const expect = async <T extends ServerFrame["type"]>(frame: KeyFrame, type: T): Promise<FrameOf<T>> => {
    const reply = await request(frame);
    if (reply.type !== type) throw new Error(`unexpected ${reply.type} to ${frame.action}`);
    return reply as FrameOf<T>;
  };
  return {
    async send(out: Outgoing): Promise<Answer> {
      switch (out.kind) {
        case "keysUpload": {
          const frame: WithoutId<Extract<ClientFrame, { action: "keysUpload" }>> = { action: "keysUpload" };
          if (out.deviceKeys) frame.deviceKeys = out.deviceKeys;
          if (Object.keys(out.oneTimeKeys).length > 0) frame.oneTimeKeys = out.oneTimeKeys;
          if (Object.keys(out.fallbackKeys).length > 0) frame.fallbackKeys = out.fallbackKeys;
          const reply = await expect(frame, "keysUploaded");
          return { kind: "keysUploaded", oneTimeKeyCounts: reply.oneTimeKeyCounts };
        }
        case "keysQuery": {
          const devices: Record<string, Record<string, MatrixJson>> = {};
          for (const users of chunks(out.users, MAX_KEY_QUERY_USERS)) {
            Object.assign(devices, (await expect({ action: "keysQuery", users }, "keys")).devices);
          }
          return { kind: "keys", devices };
        }
        case "keysClaim": {
          const oneTimeKeys: Record<string, Record<string, MatrixJson>> = {};
          for (const devices of claimChunks(out.devices)) {
            const reply = await expect({ action: "keysClaim", devices }, "claimed");
            for (const [user, byDevice] of Object.entries(reply.oneTimeKeys)) Object.assign((oneTimeKeys[user] ??= {}), byDevice);
          }
          return { kind: "claimed", oneTimeKeys };
        }
        case "toDevice":
          for (const messages of toDeviceChunks(out.messages)) {
            await expect({ action: "sendToDevice", eventType: out.eventType, messages }, "toDeviceSent");
          }
          return { kind: "toDeviceSent" };
      }
    },
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `user → device ids` in parts of at most MAX_KEY_CLAIM_DEVICES devices. */
export function claimChunks(devices: Record<string, string[]>): Record<string, string[]>[] {
  const out: Record<string, string[]>[] = [];
  let part: Record<string, string[]> = {};
  let count = 0;
  for (const [user, ids] of Object.entries(devices)) {
    for (const id of ids) {
      if (count === MAX_KEY_CLAIM_DEVICES) {
        out.push(part);
        part = {};
        count = 0;
      }
      (part[user] ??= []).push(id);
      count++;
    }
  }
  if (count > 0) out.push(part);
  return out;
}

/** `user → device → content` in frames' worth: at most 100 messages and 28 KiB of JSON each. */
export function toDeviceChunks(messages: Record<string, Record<string, string>>): Record<string, Record<string, string>>[] {
  const out: Record<string, Record<string, string>>[] = [];
  let part: Record<string, Record<string, string>> = {};
  let count = 0;
  let bytes = 0;
  for (const [user, byDevice] of Object.entries(messages)) {
    for (const [device, content] of Object.entries(byDevice)) {
      // The entry as it will be serialized: the quoted content plus the two keys' share.
      const size = JSON.stringify(content).length + user.length + device.length + 8;
      if (count > 0 && (count === MAX_TO_DEVICE_PER_FRAME || bytes + size > MAX_TO_DEVICE_FRAME_BYTES)) {
        out.push(part);
        part = {};
        count = 0;
        bytes = 0;
      }
      (part[user] ??= {})[device] = content;
      count++;
      bytes += size;
    }
  }
  if (count > 0) out.push(part);
  return out;
}
