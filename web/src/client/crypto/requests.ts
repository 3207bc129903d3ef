// The OlmMachine's outgoing requests as plain data a transport can carry (`Outgoing`), and the
// server's answers (`Answer`) back into the responses the machine takes — the same seam as the
// Rust client's KeyTransport (client/src/crypto/requests.rs). Parley user ids on this side (the
// server never sees `@…:parley`); Matrix objects (device keys, one-time keys, to-device
// contents) pass through untouched, as the memo's frames carry them (§4.2, §6.1).
import { RequestType, type OlmMachine } from "@matrix-org/matrix-sdk-crypto-wasm";
import { matrixUser, parleyUser } from "./ids";

/** Matrix JSON, passed through as the machine wrote it. */
export type MatrixJson = Record<string, unknown>;

/** A request for the server, with the machine's id for it (hand it back with the answer). */
export type Outgoing =
  /** The device's keys (first time only), new one-time keys, a new fallback key. */
  | { kind: "keysUpload"; requestId: string; deviceKeys?: MatrixJson; oneTimeKeys: MatrixJson; fallbackKeys: MatrixJson }
  /** Every device of these users. */
  | { kind: "keysQuery"; requestId: string; users: string[] }
  /** One one-time key for each of these devices: user → device ids. */
  | { kind: "keysClaim"; requestId: string; devices: Record<string, string[]> }
  /** Olm messages for single devices: user → device → content as JSON text, stored as is. */
  | { kind: "toDevice"; requestId: string; eventType: string; messages: Record<string, Record<string, string>> };

/** The server's answer to an `Outgoing`. */
export type Answer =
  /** To keysUpload: the device's unclaimed one-time keys by algorithm. */
  | { kind: "keysUploaded"; oneTimeKeyCounts: Record<string, number> }
  /** To keysQuery: user → device → the device's `device_keys` object. */
  | { kind: "keys"; devices: Record<string, Record<string, MatrixJson>> }
  /** To keysClaim: user → device → `{"signed_curve25519:<id>": key}`; absent when none left. */
  | { kind: "claimed"; oneTimeKeys: Record<string, Record<string, MatrixJson>> }
  /** To toDevice: every message stored. */
  | { kind: "toDeviceSent" };

/** Carries `Outgoing` requests to the server and brings back its `Answer`s. */
export interface KeyTransport {
  send(request: Outgoing): Promise<Answer>;
}

/** One of the machine's requests as `outgoingRequests()`, `getMissingSessions()` or `shareRoomKey()` give them. */
export interface MachineRequest {
  readonly id?: string;
  readonly type: RequestType;
  readonly body: string;
  readonly event_type?: string;
}

/** Plain data for the transport; undefined for the kinds Parley does not serve (no cross-signing, verification or backup). */
export function outgoing(request: MachineRequest): Outgoing | undefined {
  const requestId = request.id;
  if (requestId === undefined) throw new Error("an encryption request without an id");
  const body = JSON.parse(request.body) as MatrixJson;
  switch (request.type) {
    case RequestType.KeysUpload: {
      const upload: Outgoing = {
        kind: "keysUpload",
        requestId,
        oneTimeKeys: (body.one_time_keys ?? {}) as MatrixJson,
        fallbackKeys: (body.fallback_keys ?? {}) as MatrixJson,
      };
      if (body.device_keys) upload.deviceKeys = body.device_keys as MatrixJson;
      return upload;
    }
    case RequestType.KeysQuery:
      return { kind: "keysQuery", requestId, users: Object.keys(body.device_keys as MatrixJson).map(parley) };
    case RequestType.KeysClaim: {
      const devices: Record<string, string[]> = {};
      for (const [user, byDevice] of Object.entries(body.one_time_keys as MatrixJson)) {
        devices[parley(user)] = Object.keys(byDevice as MatrixJson);
      }
      return { kind: "keysClaim", requestId, devices };
    }
    case RequestType.ToDevice: {
      if (request.event_type === undefined) throw new Error("a to-device request without an event type");
      const messages: Record<string, Record<string, string>> = {};
      for (const [user, byDevice] of Object.entries(body.messages as MatrixJson)) {
        const contents: Record<string, string> = {};
        for (const [device, content] of Object.entries(byDevice as MatrixJson)) {
          if (device === "*") throw new Error("a to-device message for all of a user's devices");
          contents[device] = JSON.stringify(content);
        }
        messages[parley(user)] = contents;
      }
      return { kind: "toDevice", requestId, eventType: request.event_type, messages };
    }
    default:
      return undefined;
  }
}

/** The `RequestType` an answer is for, and the Matrix response JSON the machine takes. */
export function response(answer: Answer): { type: RequestType; json: string } {
  switch (answer.kind) {
    case "keysUploaded":
      return { type: RequestType.KeysUpload, json: JSON.stringify({ one_time_key_counts: answer.oneTimeKeyCounts }) };
    case "keys":
      return { type: RequestType.KeysQuery, json: JSON.stringify({ device_keys: byMatrixUser(answer.devices), failures: {} }) };
    case "claimed":
      return { type: RequestType.KeysClaim, json: JSON.stringify({ one_time_keys: byMatrixUser(answer.oneTimeKeys), failures: {} }) };
    case "toDeviceSent":
      return { type: RequestType.ToDevice, json: "{}" };
  }
}

/** Hands `answer` to the machine as the response to its request `requestId`. */
export async function markSent(machine: OlmMachine, requestId: string, answer: Answer): Promise<void> {
  const { type, json } = response(answer);
  await machine.markRequestAsSent(requestId, type, json);
}

/** The answer a request kind calls for, or an error naming the mismatch. */
export function expectAnswer(request: Outgoing, answer: Answer): Answer {
  const expected = { keysUpload: "keysUploaded", keysQuery: "keys", keysClaim: "claimed", toDevice: "toDeviceSent" }[request.kind];
  if (answer.kind !== expected) throw new Error(`unusable answer from the server: ${answer.kind} to ${request.kind}`);
  return answer;
}

function byMatrixUser<T>(byUser: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(byUser).map(([user, value]) => [matrixUser(user), value]));
}

function parley(user: string): string {
  const id = parleyUser(user);
  if (id === undefined) throw new Error(`${user} is not a Parley user`);
  return id;
}
