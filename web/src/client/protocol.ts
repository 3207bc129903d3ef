/**
 * The wire protocol as the client library sees it: the generated frame types (imported from
 * protocol/typescript/protocol.ts, never copied) plus the few rules docs/protocol.md states
 * about them that every part of the client needs (which errors are final, how to read a frame).
 */
import type { ClientFrame, ErrorCode, ServerFrame } from "@parley/protocol";

export type {
  Ack,
  AckStatus,
  Attachment,
  ClientFrame,
  ConversationId,
  ErrorCode,
  Send,
  ServerFrame,
  System,
  UserEntry,
} from "@parley/protocol";

/** A server frame of one `type`, e.g. `FrameOf<"message">`. */
export type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;
export type MessageFrame = FrameOf<"message">;
export type SentFrame = FrameOf<"sent">;
export type ErrorFrame = FrameOf<"error">;

/**
 * Errors after which a retry with the same `id` cannot succeed: the frame itself was refused.
 * `rate_limited` and `internal` are transient (retry the same `id` later); `unauthorized`
 * means the connection's token expired (reconnect with a fresh token, then retry).
 */
const FINAL_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "bad_request",
  "forbidden",
  "not_found",
  "too_large",
]);

export function isFinalError(code: ErrorCode): boolean {
  return FINAL_ERRORS.has(code);
}

/** What arrived in one text message. */
export type Incoming =
  | { kind: "frame"; frame: ServerFrame }
  /**
   * API Gateway's own `{"message": "Internal server error", …}` has no `type`: docs/protocol.md
   * says to treat it as a transient server error. It names no frame `id`, so the outbox's reply
   * timeout is what retries the send it answered.
   */
  | { kind: "transient" }
  | { kind: "garbage" };

export function parseIncoming(text: string): Incoming {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "garbage" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "garbage" };
  const type = (value as { type?: unknown }).type;
  if (type === undefined) return { kind: "transient" };
  if (typeof type !== "string") return { kind: "garbage" };
  // The server is trusted to send the frames its own crate defines; unknown types are new
  // additions the protocol allows, which callers ignore by switching on `type`.
  return { kind: "frame", frame: value as ServerFrame };
}

export function encode(frame: ClientFrame): string {
  return JSON.stringify(frame);
}
