// What goes through the machine: the server's to-device messages and key counts in
// (`receiveSync`), a conversation's messages out (`encrypt`: Olm sessions and the room key
// first, then Megolm) and in (`decrypt`, whose outcome is a `Decryption`). The decrypted
// content is Parley's own event, `parley.message` (memo §8); its fields are the caller's.
import {
  DecryptionErrorCode, DecryptionSettings, DeviceLists, EncryptionSettings, HistoryVisibility, MegolmDecryptionError,
  ProcessedToDeviceEventType, RoomId, ShieldStateCode, TrustRequirement, UserId,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import { eventId, matrixUser, parleyUser, roomId } from "./ids";
import type { Crypto } from "./machine";
import { outgoing, type KeyTransport, type MachineRequest } from "./requests";

/** The type of the to-device message that opens a verification flow (verification.ts). */
export const VERIFICATION_REQUEST_EVENT_TYPE = "m.key.verification.request";

/** The type of every encrypted Parley message, inside the ciphertext. */
export const MESSAGE_EVENT_TYPE = "parley.message";

/** A to-device message as the server delivers it. */
export interface ToDeviceMessage {
  /** The sender's Parley user id. */
  from: string;
  eventType: string;
  /** The content JSON, as the sender's device wrote it. */
  content: string;
}

/** One batch from the server: to-device messages, device-list changes, key counts. */
export interface SyncChanges {
  toDevice: ToDeviceMessage[];
  /** Users with a new or removed device: their keys are queried again. */
  changedUsers?: string[];
  /** Users who no longer share a conversation with this one. */
  leftUsers?: string[];
  /** This device's unclaimed one-time keys on the server, by algorithm (0 included). */
  oneTimeKeyCounts: Record<string, number>;
  /** The algorithms whose fallback key is still unused. */
  unusedFallbackKeys?: string[];
}

/** What a sync brought. */
export interface Received {
  /** Room keys that arrived: messages of these sessions waiting for their key can be retried. */
  roomKeys: { roomId: string; sessionId: string }[];
  /** To-device messages that did not decrypt (the sender's device will have to share again). */
  undecryptable: number;
  /** Verification requests that came (crypto/verification.ts): the sender and the flow's id. */
  verificationRequests: { user: string; flowId: string }[];
}

/** The outcome of decrypting one message. */
export type Decryption =
  /** The `parley.message` content the sender encrypted, and the sender's device. */
  | { kind: "decrypted"; content: Record<string, unknown>; senderDevice: string | undefined }
  /** The room key has not arrived (yet): keep the message as "waiting for key" and retry when
   * `sessionId`'s key arrives (`Received.roomKeys`). */
  | { kind: "missingKey"; sessionId: string | undefined }
  /** The key is not the claimed sender's: someone passes the message off as theirs. */
  | { kind: "mismatchedSender"; claimed: string }
  /** Will not decrypt (another conversation's, a ratcheted key, not a Parley message…). */
  | { kind: "undecryptable"; reason: string };

/** No cross-signing in Parley (memo §0.4): trust is per device; a key of someone else than
 * the sender is refused here. */
const decryptionSettings = () => new DecryptionSettings(TrustRequirement.Untrusted);

/** Feeds a batch from the server to the machine. Acknowledge the to-device messages to the
 * server only after this resolved: the machine has stored their effect by then. */
export async function receiveSync(crypto: Crypto, changes: SyncChanges): Promise<Received> {
  const events = changes.toDevice.map((m) => ({ type: m.eventType, sender: matrixUser(m.from), content: JSON.parse(m.content) as unknown }));
  const users = (ids: string[] | undefined) => (ids ?? []).map((u) => new UserId(matrixUser(u)));
  const roomKeys: Received["roomKeys"] = [];
  const verificationRequests: Received["verificationRequests"] = [];
  let undecryptable = 0;
  const processed = await crypto.machine.receiveSyncChanges(
    JSON.stringify(events),
    new DeviceLists(users(changes.changedUsers), users(changes.leftUsers)),
    new Map(Object.entries(changes.oneTimeKeyCounts)),
    new Set(changes.unusedFallbackKeys ?? []),
    decryptionSettings(),
  );
  for (const event of processed) {
    if (event.type === ProcessedToDeviceEventType.UnableToDecrypt) undecryptable++;
    const raw = JSON.parse(event.rawEvent) as {
      type?: string; sender?: string; content?: { room_id?: string; session_id?: string; transaction_id?: string };
    };
    if (event.type === ProcessedToDeviceEventType.Decrypted && raw.type === "m.room_key" && raw.content?.room_id && raw.content.session_id) {
      roomKeys.push({ roomId: raw.content.room_id, sessionId: raw.content.session_id });
    }
    const requester = raw.sender === undefined ? undefined : parleyUser(raw.sender);
    const delivered = event.type === ProcessedToDeviceEventType.PlainText || event.type === ProcessedToDeviceEventType.Decrypted;
    if (delivered && raw.type === VERIFICATION_REQUEST_EVENT_TYPE && requester !== undefined && typeof raw.content?.transaction_id === "string") {
      verificationRequests.push({ user: requester, flowId: raw.content.transaction_id });
    }
  }
  if (undecryptable > 0) console.warn(`${undecryptable} to-device messages did not decrypt`);
  return { roomKeys, undecryptable, verificationRequests };
}

/** Encrypts `content` for the conversation's `members` (Parley user ids; this user's other
 * devices get the key too): the members' device keys, Olm sessions for devices lacking one,
 * the room key to every device, through `transport`; then Megolm. Answers the
 * `m.room.encrypted` content to send, as JSON text. */
export function encrypt(
  crypto: Crypto, transport: KeyTransport, conversation: string, members: string[], content: Record<string, unknown>,
): Promise<string> {
  const machine = crypto.machine;
  const ids = [...new Set([...members.map(matrixUser), machine.userId.toString()])].sort();
  // The machine consumes the UserIds it is given: a fresh list for each call.
  const users = () => ids.map((u) => new UserId(u));
  return crypto.exclusive(async () => {
    await machine.updateTrackedUsers(users());
    await crypto.processOutgoingNow(transport);
    const claim = await machine.getMissingSessions(users());
    if (claim) await crypto.send(transport, plain(claim));
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    const room = new RoomId(roomId(conversation));
    for (const share of await machine.shareRoomKey(room, users(), settings)) await crypto.send(transport, plain(share));
    return machine.encryptRoomEvent(new RoomId(roomId(conversation)), MESSAGE_EVENT_TYPE, JSON.stringify(content));
  });
}

/** Decrypts message `messageId` of `conversation`, sent by `from` at `sentAt` (ms), whose
 * `encrypted` content the server delivered. */
export async function decrypt(
  crypto: Crypto, conversation: string, from: string, messageId: string, sentAt: number, encrypted: string,
): Promise<Decryption> {
  const event = {
    type: "m.room.encrypted",
    sender: matrixUser(from),
    event_id: eventId(messageId),
    origin_server_ts: sentAt,
    content: JSON.parse(encrypted) as unknown,
  };
  let decrypted;
  try {
    decrypted = await crypto.machine.decryptRoomEvent(JSON.stringify(event), new RoomId(roomId(conversation)), decryptionSettings());
  } catch (e) {
    return failure(e, from, (event.content as { session_id?: string }).session_id);
  }
  if (decrypted.shieldState(false).code === ShieldStateCode.MismatchedSender || decrypted.sender.toString() !== matrixUser(from)) {
    return { kind: "mismatchedSender", claimed: from };
  }
  const inner = JSON.parse(decrypted.event) as { type?: string; content?: Record<string, unknown> };
  if (inner.type !== MESSAGE_EVENT_TYPE || !inner.content) return { kind: "undecryptable", reason: `an event of type ${String(inner.type)}` };
  return { kind: "decrypted", content: inner.content, senderDevice: decrypted.senderDevice?.toString() };
}

function failure(e: unknown, from: string, sessionId: string | undefined): Decryption {
  if (e instanceof MegolmDecryptionError) {
    switch (e.code) {
      case DecryptionErrorCode.MissingRoomKey:
        return { kind: "missingKey", sessionId };
      case DecryptionErrorCode.MismatchedSender:
        return { kind: "mismatchedSender", claimed: from };
      default:
        return { kind: "undecryptable", reason: e.description };
    }
  }
  throw e;
}

function plain(request: MachineRequest) {
  const out = outgoing(request);
  if (!out) throw new Error(`an encryption request Parley does not serve (type ${request.type})`);
  return out;
}
