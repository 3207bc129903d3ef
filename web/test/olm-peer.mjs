// The web client's encryption engine (@matrix-org/matrix-sdk-crypto-wasm, its Node entry) as a
// peer for the Rust client library's interop test (client/tests/olm_interop.rs): the test
// starts `node web/test/olm-peer.mjs` and drives any number of wasm OlmMachines (in-memory
// stores) by name, over stdio, one JSON object a line each way.
//
// Request:  {"id": 1, "op": "<op>", "device": "<name>", ...arguments}
// Reply:    {"id": 1, "ok": <result>}  or  {"id": 1, "error": "<message>"}
//
// Every Matrix object crosses as plain JSON (request bodies parsed, responses and events as
// the test's key directory built them), so the Rust side sees exactly what a server would.
// Not a test itself: vitest only collects *.test.ts.

import { createInterface } from "node:readline";
import * as wasm from "@matrix-org/matrix-sdk-crypto-wasm";

const {
  OlmMachine,
  UserId,
  DeviceId,
  RoomId,
  DeviceLists,
  RequestType,
  EncryptionSettings,
  HistoryVisibility,
  DecryptionSettings,
  TrustRequirement,
  ShieldStateCode,
  ProcessedToDeviceEventType,
  Attachment,
  EncryptedAttachment,
  getVersions,
} = wasm;

await wasm.initAsync();

/** Request kinds by the names the Rust test uses, both ways. */
const KINDS = {
  [RequestType.KeysUpload]: "keysUpload",
  [RequestType.KeysQuery]: "keysQuery",
  [RequestType.KeysClaim]: "keysClaim",
  [RequestType.ToDevice]: "toDevice",
  [RequestType.SignatureUpload]: "signatureUpload",
  [RequestType.RoomMessage]: "roomMessage",
  [RequestType.KeysBackup]: "keysBackup",
};
const TYPES = Object.fromEntries(Object.entries(KINDS).map(([type, kind]) => [kind, Number(type)]));

/** @type {Map<string, InstanceType<typeof OlmMachine>>} */
const machines = new Map();

function machine(name) {
  const m = machines.get(name);
  if (!m) throw new Error(`no machine named ${name}`);
  return m;
}

const untrusted = () => new DecryptionSettings(TrustRequirement.Untrusted);
const userIds = (users) => users.map((u) => new UserId(u));

/** An outgoing request as plain data: id, kind, parsed body (and the to-device event type). */
function plain(request) {
  const out = { id: request.id, kind: KINDS[request.type], body: JSON.parse(request.body) };
  if (request.type === RequestType.ToDevice) out.eventType = request.event_type;
  return out;
}

const ops = {
  async init({ device, userId, deviceId }) {
    const m = await OlmMachine.initialize(new UserId(userId), new DeviceId(deviceId));
    machines.set(device, m);
    const v = getVersions();
    return {
      ed25519: m.identityKeys.ed25519.toBase64(),
      curve25519: m.identityKeys.curve25519.toBase64(),
      versions: { matrixSdkCrypto: v.matrix_sdk_crypto, vodozemac: v.vodozemac },
    };
  },
  async outgoingRequests({ device }) {
    return (await machine(device).outgoingRequests()).map(plain);
  },
  async markRequestAsSent({ device, requestId, kind, response }) {
    const type = TYPES[kind];
    if (type === undefined) throw new Error(`unknown request kind ${kind}`);
    await machine(device).markRequestAsSent(requestId, type, JSON.stringify(response));
    return null;
  },
  async updateTrackedUsers({ device, users }) {
    await machine(device).updateTrackedUsers(userIds(users));
    return null;
  },
  async getMissingSessions({ device, users }) {
    const request = await machine(device).getMissingSessions(userIds(users));
    return request ? { id: request.id, kind: "keysClaim", body: JSON.parse(request.body) } : null;
  },
  async shareRoomKey({ device, roomId, users }) {
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    const requests = await machine(device).shareRoomKey(new RoomId(roomId), userIds(users), settings);
    return requests.map(plain);
  },
  async encryptRoomEvent({ device, roomId, eventType, content }) {
    return await machine(device).encryptRoomEvent(new RoomId(roomId), eventType, JSON.stringify(content));
  },
  async receiveSyncChanges({ device, events, changed, oneTimeKeyCounts, unusedFallbackKeys }) {
    const processed = await machine(device).receiveSyncChanges(
      JSON.stringify(events),
      new DeviceLists(userIds(changed), []),
      new Map(Object.entries(oneTimeKeyCounts)),
      new Set(unusedFallbackKeys),
      untrusted(),
    );
    // Each to-device event as the machine saw it: decrypted (with its decrypted type) or not.
    return processed.map((p) => ({
      decrypted: p.type === ProcessedToDeviceEventType.Decrypted,
      type: JSON.parse(p.rawEvent).type,
    }));
  },
  async decryptRoomEvent({ device, roomId, event }) {
    const decrypted = await machine(device).decryptRoomEvent(JSON.stringify(event), new RoomId(roomId), untrusted());
    const shield = decrypted.shieldState(false);
    return {
      event: JSON.parse(decrypted.event),
      sender: decrypted.sender.toString(),
      senderDevice: decrypted.senderDevice?.toString() ?? null,
      mismatchedSender: shield.code === ShieldStateCode.MismatchedSender,
    };
  },
  // A file's bytes (base64) encrypted as the web client does (Attachment.encrypt): the
  // ciphertext (base64) and the key (its MediaEncryptionInfo, parsed). No machine needed.
  async encryptFile({ data }) {
    const encrypted = Attachment.encrypt(new Uint8Array(Buffer.from(data, "base64")));
    return { data: Buffer.from(encrypted.encryptedData).toString("base64"), file: JSON.parse(encrypted.mediaEncryptionInfo) };
  },
  // The reverse: the bytes back (base64); fails when the hash does not match.
  async decryptFile({ data, file }) {
    const attachment = new EncryptedAttachment(new Uint8Array(Buffer.from(data, "base64")), JSON.stringify(file));
    return { data: Buffer.from(Attachment.decrypt(attachment)).toString("base64") };
  },
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const op = ops[request.op];
    if (!op) throw new Error(`unknown op ${request.op}`);
    process.stdout.write(JSON.stringify({ id, ok: await op(request) }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, error: String(e?.stack ?? e) }) + "\n");
  }
}
for (const m of machines.values()) m.close();
