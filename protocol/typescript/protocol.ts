// Generated from the parley-protocol crate (protocol/src) by its `typescript` test.
// Do not edit: change the Rust types and run `make protocol-types`.

export type ClientFrame = { "action": "send" } & Send | { "action": "sync" } & Sync | { "action": "ack" } & Ack | { "action": "typing" } & Typing | { "action": "lookup" } & Lookup | { "action": "createGroup" } & CreateGroup | { "action": "addMembers" } & Members | { "action": "removeMembers" } & Members | { "action": "leaveGroup" } & LeaveGroup | { "action": "uploadUrl" } & UploadUrl | { "action": "downloadUrl" } & DownloadUrl | { "action": "registerPush" } & RegisterPush | { "action": "ping" } & Ping | { "action": "chat" } & Chat | { "action": "chats" } & Chats | { "action": "presence" } & Presence | { "action": "privacy" } & Privacy;

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
body?: string, attachment?: Attachment, };

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

export type ServerFrame = { "type": "sent", id: string, conversation: ConversationId, seq: number, messageId: string, ts: number, } | { "type": "message", conversation: ConversationId, seq: number, messageId: string, 
/**
 * The sender's frame id.
 */
id: string, from: string, ts: number, cursor: string, body?: string, attachment?: Attachment, 
/**
 * Set on a group's membership changes (and then there is no body).
 */
system?: System, } | { "type": "synced", cursor: string, more: boolean, } | { "type": "receipt", conversation: ConversationId, seq: number, by: string, status: AckStatus, } | { "type": "typing", conversation: ConversationId, from: string, } | { "type": "users", id: string, users: Array<UserEntry>, } | { "type": "pushRegistered", id: string, } | { "type": "group", id: string, conversation: ConversationId, name: string, members: Array<string>, admins: Array<string>, } | { "type": "uploadUrl", id: string, key: string, url: string, method: string, headers: { [key in string]: string }, expiresIn: number, } | { "type": "downloadUrl", id: string, url: string, expiresIn: number, } | { "type": "pong", id?: string, } | { "type": "chat", id?: string, conversation: ConversationId, 
/**
 * Muted until this time (ms since the epoch), `-1` for always; absent: not muted.
 */
mutedUntil?: number, archived: boolean, pinned: boolean, unread: boolean, } | { "type": "chats", id: string, chats: Array<ChatSettings>, } | { "type": "presence", id?: string, user: string, online?: boolean, 
/**
 * When their last connection closed (ms since the epoch), while offline.
 */
lastSeen?: number, } | { "type": "privacy", id: string, lastSeen: Audience, } | { "type": "error", id?: string, code: ErrorCode, message: string, };

export type Attachment = { key: string, name: string, contentType: string, size: number, };

export type AckStatus = "delivered" | "read";

export type UserEntry = { userId: string, email?: string, phone?: string, };

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
