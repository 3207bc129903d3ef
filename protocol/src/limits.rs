//! The protocol's limits (docs/protocol.md), the single place both the server and clients
//! read them from.

/// A client's frame id: 1–64 characters of `[A-Za-z0-9_-]`.
pub const MAX_ID_LEN: usize = 64;
/// A user id: 1–128 characters of `[A-Za-z0-9_-]` (Cognito's `sub` is 36).
pub const MAX_USER_ID_LEN: usize = 128;
/// A message body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 32 * 1024;
/// Emails and phones in one `lookup`, in all.
pub const MAX_LOOKUP: usize = 100;
/// The longest email or phone number looked up.
pub const MAX_ADDRESS_LEN: usize = 254;
/// Members of a group, the creator included.
pub const MAX_GROUP_MEMBERS: usize = 1024;
/// A group's name, in bytes of UTF-8.
pub const MAX_GROUP_NAME_BYTES: usize = 256;
/// A file: 100 MiB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// A file's declared name, in bytes of UTF-8.
pub const MAX_FILE_NAME_BYTES: usize = 255;
/// A file's declared content type.
pub const MAX_CONTENT_TYPE_LEN: usize = 127;
/// A device's push token (longer than any FCM or APNs token).
pub const MAX_PUSH_TOKEN_LEN: usize = 1024;
/// Messages in one `sync` page when the client names no `limit`.
pub const DEFAULT_PAGE: u32 = 100;
/// The most messages in one `sync` page; a larger `limit` is served as this.
pub const MAX_PAGE: u32 = 500;
/// Seconds a presigned upload or download URL is valid.
pub const URL_EXPIRES_SECS: u64 = 300;
/// A device id (`?device=` at connect): 1–64 characters of `[A-Za-z0-9_-]`, like a frame id.
pub const MAX_DEVICE_ID_LEN: usize = MAX_ID_LEN;
/// Devices with keys one user may register.
pub const MAX_DEVICES_PER_USER: usize = 10;
/// A device's `deviceKeys` object, serialized, in bytes.
pub const MAX_DEVICE_KEYS_BYTES: usize = 4096;
/// One-time keys in one `keysUpload`.
pub const MAX_ONE_TIME_KEYS_PER_UPLOAD: usize = 100;
/// One-time keys the server keeps for one device.
pub const MAX_ONE_TIME_KEYS_STORED: usize = 100;
/// One signed one-time or fallback key entry, serialized, in bytes (a real one is ≈ 270).
pub const MAX_ONE_KEY_BYTES: usize = 1024;
/// Users in one `keysQuery`.
pub const MAX_KEY_QUERY_USERS: usize = 250;
/// Devices in one `keysClaim`, in all.
pub const MAX_KEY_CLAIM_DEVICES: usize = 250;
/// Messages in one `sendToDevice`.
pub const MAX_TO_DEVICE_PER_FRAME: usize = 100;
/// One to-device message's content, in bytes of UTF-8.
pub const MAX_TO_DEVICE_CONTENT_BYTES: usize = 16 * 1024;
/// Seconds an unacknowledged to-device message is kept: 30 days.
pub const TO_DEVICE_RETENTION_SECS: i64 = 30 * 24 * 60 * 60;
/// The most inbox messages one `toDeviceSync` returns, and its default.
pub const MAX_INBOX_PAGE: u32 = 100;
/// Inbox ids in one `toDeviceAck`.
pub const MAX_TO_DEVICE_ACK: usize = 100;
/// The most bytes of one server frame the key and to-device actions post (API Gateway's own
/// limit on a posted message is 128 KB).
pub const MAX_REPLY_PART_BYTES: usize = 96 * 1024;
/// A reaction (`send` with kind `react`): its `body`, in bytes of UTF-8.
pub const MAX_REACTION_BYTES: usize = 64;
/// A reply's quote preview (`replyTo.preview`), in bytes of UTF-8.
pub const MAX_PREVIEW_BYTES: usize = 256;
/// Users one message mentions.
pub const MAX_MENTIONS: usize = 64;
/// How long after sending its author may edit a message: 15 minutes, in milliseconds.
pub const EDIT_WINDOW_MS: i64 = 15 * 60 * 1000;
/// How long after sending its author may delete a message for everyone: 60 hours, in
/// milliseconds (a group's admins may delete any message, whatever its age).
pub const DELETE_WINDOW_MS: i64 = 60 * 60 * 60 * 1000;
/// Edits of one message (what a delete must scrub stays bounded).
pub const MAX_EDITS: usize = 10;
/// Chats one user may pin (`chat` with `pinned: true`).
pub const MAX_PINNED_CHATS: usize = 3;
/// An encrypted message or edit (`send` with `encrypted`): the opaque content, in bytes of
/// UTF-8. A Megolm event grows about 1.37 × its text + 450 bytes, so a 32 KiB text fits;
/// a synced message with its encrypted newest edit in its `state` then stays under API
/// Gateway's 128 KB post.
pub const MAX_ENCRYPTED_BYTES: usize = 48 * 1024;
/// An encrypted reaction's content, in bytes (an encrypted emoji is about 500).
pub const MAX_ENCRYPTED_REACTION_BYTES: usize = 1024;
/// Seconds the server remembers that a user's device list changed (`deviceChanges`): 30 days.
pub const DEVICE_CHANGES_RETENTION_SECS: i64 = 30 * 24 * 60 * 60;
/// The disappearing-messages timers a conversation may have (`send` with kind `timer`), in
/// seconds: off, 24 hours, 7 days, 90 days. A message sent under a timer expires that long
/// after it was sent, or at the end of the 30-day retention, whichever comes first.
pub const TIMER_SECONDS: [u64; 4] = [0, 24 * 60 * 60, 7 * 24 * 60 * 60, 90 * 24 * 60 * 60];
