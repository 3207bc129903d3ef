/** The Parley client library's public surface (no UI in here). */
export { isSealed, ParleyClient, RequestError, SEALED_FILE_NAME, SEALED_FILE_TYPE, type Audience, type ClientListener, type ClientOptions } from "./client";
export { Connection, webSocketFactory, type SocketFactory, type SocketLike, type TokenProvider, type ConnectionListener } from "./connection";
export { Outbox, type SendInput } from "./outbox";
export { Sync } from "./sync";
export { Backoff } from "./backoff";
export { systemClock, type Clock } from "./clock";
export { openIdbStore, type ClientStore, type ConversationRecord, type OutboxRecord, type PendingChange, type Sealed, type SealedAttachment, type StoredMessage } from "./store";
export { advance, applyReceipt, tickFromReceipts, type Tick, type ReceiptMarks } from "./ticks";
export { isFinalError, parseIncoming } from "./protocol";
export { checkFile, formatBytes, putWithProgress, MAX_FILE_BYTES, type FileCheck, type FileLike, type UploadTarget } from "./files";
export { BlockList } from "./blocks";
export { ExpiryAlarm, expiryOf, isExpired, RETENTION_SECONDS, TIMER_SECONDS, timerLabel } from "./expiry";
export { arrange, ChatSettingsBook, defaultSettings, isMuted, MAX_PINNED, MUTED_ALWAYS, type ChatChange, type ChatSettings, type Mute } from "./chats";
export { applyEntry, applySnapshot, emptyState, reactionOf, shown, type ChangeEntry, type LocalState, type Shown } from "./state";
export { PRESENCE_RENEW_MS, PresenceWatcher, presenceOf, type PresenceState } from "./presence";
export { claimChunks, MAX_ENCRYPTED_BODY_BYTES, socketKeys, toDeviceChunks, type DeviceInfo, type Inbound, type InboxMessage, type MessageEncryption } from "./encryption";
export type { DeviceVerifier, SasEmoji, VerificationPhase, VerificationView } from "./verification";
export { directConversation } from "./ids";
