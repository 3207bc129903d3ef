// Generated from the parley-protocol crate (protocol/src) by its `typescript` test.
// Do not edit: change the Rust types and run `make protocol-types`.

export type ClientFrame = { "action": "send" } & Send | { "action": "sync" } & Sync | { "action": "ack" } & Ack | { "action": "typing" } & Typing | { "action": "lookup" } & Lookup | { "action": "createGroup" } & CreateGroup | { "action": "addMembers" } & Members | { "action": "removeMembers" } & Members | { "action": "leaveGroup" } & LeaveGroup | { "action": "uploadUrl" } & UploadUrl | { "action": "downloadUrl" } & DownloadUrl | { "action": "registerPush" } & RegisterPush | { "action": "keysUpload" } & KeysUpload | { "action": "keysQuery" } & KeysQuery | { "action": "keysClaim" } & KeysClaim | { "action": "sendToDevice" } & SendToDevice | { "action": "toDeviceSync" } & ToDeviceSync | { "action": "toDeviceAck" } & ToDeviceAck | { "action": "prefs" } & Prefs | { "action": "ping" } & Ping | { "action": "chat" } & Chat | { "action": "chats" } & Chats | { "action": "presence" } & Presence | { "action": "privacy" } & Privacy | { "action": "block" } & Block | { "action": "blocks" } & Blocks | { "action": "deviceChanges" } & DeviceChanges | { "action": "removeDevice" } & RemoveDevice;

export type Send = { 
/**
 * Fresh per message, the same on every retry of it.
 */
id: string, 
/**
 * Exactly one of `toUser` and `conversation`.
 */
toUser?: string, conversation?: ConversationId, 
/**
 * At most 32 KiB of UTF-8; a message has a body, an attachment or both.
 */
body?: string, attachment?: Attachment, 
/**
 * A change to the message at `target` (absent: a message). `edit` needs a `body`,
 * `react` a `body` of at most 64 bytes (the emoji); `delete` and `unreact` take none.
 * A change has no attachment, `replyTo`, `mentions` or `forwarded`.
 */
kind?: ChangeKind, 
/**
 * The seq of the message a change is to (with a `kind` only).
 */
target?: number, 
/**
 * The message this one quotes (a seq of the same conversation).
 */
replyTo?: ReplyTo, 
/**
 * Members this message mentions (1–64 distinct user ids); the server keeps only those
 * who are members.
 */
mentions?: Array<string>, 
/**
 * The message was forwarded from elsewhere (`true`, or absent).
 */
forwarded?: boolean, 
/**
 * End-to-end encrypted content *instead of* `body` (issue 15): the Megolm event's
 * content as the crypto library produced it, a JSON string the server stores and
 * delivers byte for byte and never parses. At most 48 KiB (1 KiB for a reaction).
 */
encrypted?: string, 
/**
 * With kind `timer` only: the conversation's new disappearing-messages timer, in
 * seconds, one of [`TIMER_SECONDS`] (0 turns it off).
 */
seconds?: number, };

export type Sync = { 
/**
 * Where the last page ended (`synced.cursor`); none for the start of retention.
 */
cursor?: string, 
/**
 * Messages in the page: at least 1; more than 500 is served as 500.
 */
limit?: number, };

export type Ack = { conversation: ConversationId, 
/**
 * At least 1.
 */
seq: number, status: AckStatus, };

export type Typing = { conversation: ConversationId, };

export type Lookup = { id: string, 
/**
 * 1–100 emails and phones in all.
 */
emails?: Array<string>, phones?: Array<string>, };

export type CreateGroup = { id: string, 
/**
 * 1–256 bytes of text.
 */
name: string, 
/**
 * User ids; the creator is added. At most 1024 in all.
 */
members: Array<string>, };

export type Members = { id: string, conversation: ConversationId, 
/**
 * At least one user id.
 */
members: Array<string>, };

export type LeaveGroup = { id: string, conversation: ConversationId, };

export type UploadUrl = { id: string, 
/**
 * Exactly one of `conversation` and `toUser` (the direct chat with that user).
 */
conversation?: ConversationId, toUser?: string, 
/**
 * 1–255 bytes of text.
 */
name: string, 
/**
 * `type/subtype`, lowercased by the server.
 */
contentType: string, 
/**
 * 1 byte – 100 MiB.
 */
size: number, };

export type DownloadUrl = { id: string, 
/**
 * An attachment's `key`.
 */
key: string, };

export type RegisterPush = { id: string, platform: Platform, 
/**
 * The device's push token: 1–1024 printable characters without spaces.
 */
token: string, };

export type Platform = "fcm" | "apns" | "apns_sandbox";

export type KeysUpload = { id: string, deviceKeys?: DeviceKeys, 
/**
 * 1–100 `signed_curve25519:<key id>` entries.
 */
oneTimeKeys?: Record<string, unknown>, 
/**
 * At most one entry; it replaces the device's fallback key.
 */
fallbackKeys?: Record<string, unknown>, };

export type DeviceKeys = Record<string, unknown>;

export type KeysQuery = { id: string, users: Array<string>, };

export type KeysClaim = { id: string, devices: { [key in string]: Array<string> }, };

export type SendToDevice = { 
/**
 * Fresh per frame, the same on every retry of it.
 */
id: string, eventType: string, messages: { [key in string]: { [key in string]: string } }, };

export type ToDeviceSync = { 
/**
 * 1–100; more is served as 100; none is 100.
 */
limit?: number, };

export type ToDeviceAck = { ids: Array<string>, };

export type Prefs = { id: string, 
/**
 * Push a reaction to my message while I am offline.
 */
reactionPush?: boolean, };

export type ChangeKind = "edit" | "delete" | "react" | "unreact" | "timer";

export type ReplyTo = { seq: number, 
/**
 * At most 256 bytes of UTF-8.
 */
preview?: string, };

export type Reply = { seq: number, from: string, preview?: string, };

export type MessageState = { 
/**
 * The seq of the newest change folded in: a change entry with a seq at or below it is
 * already part of this state.
 */
version: number, 
/**
 * The newest edit.
 */
edited?: Edited, 
/**
 * Deleted for everyone: then there is no edit, no reaction, and the message's `body`
 * and `attachment` are gone.
 */
deleted?: Deleted, 
/**
 * One reaction per user, by user id.
 */
reactions?: { [key in string]: Reaction }, };

export type Edited = { seq: number, ts: number, body: string, encrypted?: string, };

export type Deleted = { seq: number, ts: number, by: string, };

export type Reaction = { seq: number, body: string, encrypted?: string, };

export type Ping = { 
/**
 * Echoed by the `pong`, when given.
 */
id?: string, };

export type Chat = { id: string, conversation: ConversationId, mute?: Mute, archived?: boolean, 
/**
 * At most [`crate::limits::MAX_PINNED_CHATS`] chats are pinned at once.
 */
pinned?: boolean, unread?: boolean, };

export type Mute = "8h" | "1w" | "always" | "off";

export type Chats = { id: string, };

export type Presence = { id: string, user: string, watch: boolean, };

export type Privacy = { id: string, lastSeen?: Audience, };

export type Audience = "everyone" | "contacts" | "nobody";

export type Block = { id: string, user: string, blocked: boolean, };

export type Blocks = { id: string, };

export type DeviceChanges = { id: string, since?: number, };

export type RemoveDevice = { id: string, device: string, };

export type ServerFrame = { "type": "sent", id: string, conversation: ConversationId, seq: number, messageId: string, ts: number, } | { "type": "message", conversation: ConversationId, seq: number, messageId: string, 
/**
 * The sender's frame id.
 */
id: string, from: string, ts: number, cursor: string, body?: string, attachment?: Attachment, 
/**
 * Set on a group's membership changes (and then there is no body).
 */
system?: System, 
/**
 * A change entry: what it does to the message at `target` (absent: a message).
 */
kind?: ChangeKind, 
/**
 * The seq a change entry changes.
 */
target?: number, 
/**
 * The message this one quotes.
 */
replyTo?: Reply, 
/**
 * The members this message mentions.
 */
mentions?: Array<string>, forwarded?: boolean, 
/**
 * The message's state after the changes made to it so far: only on messages a
 * `sync` returns, and only once something changed them.
 */
state?: MessageState, 
/**
 * End-to-end encrypted content (then there is no body), as the sender gave it,
 * byte for byte.
 */
encrypted?: string, 
/**
 * A `timer` entry's new disappearing-messages timer, in seconds (0: off).
 */
seconds?: number, 
/**
 * When a message sent under a disappearing-messages timer expires, epoch
 * milliseconds: clients hide and delete it then, and the server treats it as gone.
 */
expiresAt?: number, } | { "type": "synced", cursor: string, more: boolean, } | { "type": "receipt", conversation: ConversationId, seq: number, by: string, status: AckStatus, } | { "type": "typing", conversation: ConversationId, from: string, } | { "type": "users", id: string, users: Array<UserEntry>, } | { "type": "pushRegistered", id: string, } | { "type": "prefs", id: string, reactionPush: boolean, } | { "type": "group", id: string, conversation: ConversationId, name: string, members: Array<string>, admins: Array<string>, } | { "type": "uploadUrl", id: string, key: string, url: string, method: string, headers: { [key in string]: string }, expiresIn: number, } | { "type": "downloadUrl", id: string, url: string, expiresIn: number, } | { "type": "keysUploaded", id: string, 
/**
 * One-time keys left, by algorithm (`signed_curve25519`, 0 included).
 */
oneTimeKeyCounts: Record<string, number>, 
/**
 * `["signed_curve25519"]` while the device's fallback key was never handed out.
 */
unusedFallbackKeys: Array<string>, } | { "type": "keys", id: string, devices: { [key in string]: { [key in string]: DeviceKeys } }, more: boolean, } | { "type": "claimed", id: string, oneTimeKeys: Record<string, Record<string, Record<string, unknown>>>, } | { "type": "toDeviceSent", id: string, } | { "type": "toDevice", messages: Array<ToDeviceMessage>, } | { "type": "toDeviceSynced", more: boolean, oneTimeKeyCounts: Record<string, number>, unusedFallbackKeys: Array<string>, } | { "type": "toDeviceAcked", oneTimeKeyCounts: Record<string, number>, unusedFallbackKeys: Array<string>, } | { "type": "pong", id?: string, } | { "type": "chat", id?: string, conversation: ConversationId, 
/**
 * Muted until this time (ms since the epoch), `-1` for always; absent: not muted.
 */
mutedUntil?: number, archived: boolean, pinned: boolean, unread: boolean, } | { "type": "chats", id: string, chats: Array<ChatSettings>, } | { "type": "presence", id?: string, user: string, online?: boolean, 
/**
 * When their last connection closed (ms since the epoch), while offline.
 */
lastSeen?: number, } | { "type": "privacy", id: string, lastSeen: Audience, } | { "type": "blocked", id?: string, user: string, blocked: boolean, } | { "type": "blocks", id: string, users: Array<string>, } | { "type": "skip", conversation: ConversationId, seq: number, 
/**
 * As in `message`: a client may sync from after it.
 */
cursor: string, } | { "type": "deviceChanges", id: string, users: Array<string>, until: number, reset?: boolean, } | { "type": "deviceChanged", user: string, } | { "type": "deviceRemoved", id: string, device: string, } | { "type": "error", id?: string, code: ErrorCode, message: string, };

export type Attachment = { key: string, name: string, contentType: string, size: number, };

export type AckStatus = "delivered" | "read";

export type UserEntry = { userId: string, email?: string, phone?: string, };

export type ToDeviceMessage = { 
/**
 * The inbox id, for `toDeviceAck`.
 */
id: string, from: string, fromDevice: string, eventType: string, 
/**
 * As the sender gave it, byte for byte.
 */
content: string, };

export type ChatSettings = { conversation: ConversationId, 
/**
 * Muted until this time (ms since the epoch), [`MUTED_ALWAYS`] for always.
 */
mutedUntil?: number, archived: boolean, pinned: boolean, unread: boolean, };

export type System = { event: SystemEvent, 
/**
 * The members the change is about: all of them (`created`), the new ones (`added`),
 * the removed (`removed`), the one who left (`left`).
 */
members: Array<string>, 
/**
 * The group's name after the change.
 */
name: string, };

export type SystemEvent = "created" | "added" | "removed" | "left";

export type ErrorCode = "bad_request" | "unauthorized" | "forbidden" | "not_found" | "too_large" | "rate_limited" | "internal";

export type ConversationId = string;
