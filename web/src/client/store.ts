/**
 * What the client library keeps between page loads, and its IndexedDB implementation (through
 * `idb`, a small maintained wrapper): the outbox (a send is stored before it is sent, so a
 * reload never loses it), the sync cursor, the messages by (conversation, seq), and per
 * conversation the last seq delivered in order, its members and the receipt marks. Messages
 * sent under a disappearing-messages timer are indexed by `expiresAt`, so the ones due are
 * found and deleted without reading the rest.
 *
 * The client takes a `ClientStore`, so tests can open the same database twice (a "reload")
 * on fake-indexeddb.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { Attachment, ConversationId, Send, System } from "./protocol";
import type { ChangeEntry, LocalState } from "./state";
import type { ReceiptMarks, Tick } from "./ticks";

export interface OutboxRecord {
  /** The frame `id`, reused on every retry. */
  id: string;
  frame: Send & { action: "send" };
  createdAt: number;
  /** `failed` after a final error (the frame can never be accepted as it is). */
  state: "pending" | "failed";
  error?: { code: string; message: string };
  /**
   * What the user wrote, kept on this device only: the text once `frame` carries it
   * encrypted, and an encrypted file's real attachment (`frame` has a neutral one).
   */
  plain?: { body?: string; attachment?: SealedAttachment; replyPreview?: string };
  /** Made ready to go (`Outbox` option `prepare`): `frame` is what is sent, on every retry. */
  prepared?: boolean;
}

/**
 * A message that came end-to-end encrypted and is not readable (yet): `waiting` for its room
 * key (decrypted when the key arrives), `beforeDevice` (sent before this device existed: its
 * key was never shared with it), `undecryptable` (refused: not for this conversation, not
 * from its claimed sender…). Absent once decrypted.
 */
export interface Sealed {
  state: "waiting" | "beforeDevice" | "undecryptable";
  /** The `encrypted` content as delivered, for another try. */
  encrypted: string;
  /** The Megolm session whose key it waits for. */
  sessionId?: string;
  reason?: string;
}

/**
 * An end-to-end encrypted file: the attachment as the sender described it, inside the
 * ciphertext, and `file`, the key to its bytes (the Matrix `EncryptedFile` fields: `v`, `key`
 * (a JWK), `iv`, `hashes`). The server has only the encrypted bytes under `key`, with a
 * neutral name and type.
 */
export interface SealedAttachment extends Attachment {
  file: Record<string, unknown>;
}

export interface StoredMessage {
  conversation: ConversationId;
  seq: number;
  messageId: string;
  /** The sender's frame id. */
  id: string;
  from: string;
  ts: number;
  body?: string;
  /** For an encrypted file, with its key (`SealedAttachment.file`). */
  attachment?: Attachment | SealedAttachment;
  system?: System;
  /** Came encrypted and is not decrypted (the body is then absent). */
  sealed?: Sealed;
  /** Came encrypted (and was decrypted, unless `sealed`). */
  encrypted?: boolean;
  /** Sent by this user (from this or another device). */
  own: boolean;
  /** Own messages only. */
  tick?: Tick;
  /** Own messages only: who must ack it for ✓✓ (the other members at the time). */
  recipients?: string[];
  /** A change entry's kind and target (never stored as a message: folded into the target). */
  kind?: ChangeEntry["kind"];
  target?: number;
  /** The message it quotes: its seq, author, and the sender's preview of it. */
  replyTo?: { seq: number; from: string; preview?: string };
  /** The members it mentions (user ids). */
  mentions?: string[];
  forwarded?: boolean;
  /**
   * A placeholder for an entry from someone this user blocks (`skip`): it fills its seq so
   * nothing waits on a gap, and is never stored, shown or acked on its own.
   */
  skipped?: boolean;
  /** Edits, deletion and reactions folded in (state.ts); absent while unchanged. */
  state?: LocalState;
  /** A `timer` entry's (kind "timer") new disappearing-messages timer, in seconds (0: off). */
  seconds?: number;
  /**
   * When a message sent under a disappearing-messages timer expires (ms since the epoch):
   * hidden and deleted then (expiry.ts).
   */
  expiresAt?: number;
}

/** A change entry whose target this device does not hold (yet), kept until it arrives. */
export interface PendingChange extends ChangeEntry {
  conversation: ConversationId;
}

export interface ConversationRecord {
  conversation: ConversationId;
  /** The highest seq delivered to the app in order (0: none yet). */
  lastSeq: number;
  /** Members as last learnt (a direct chat: the two users). */
  members: string[];
  kind: "direct" | "group" | "unknown";
  name?: string;
  /** A group's admins, as last learnt (a `group` reply, or derived from system messages). */
  admins?: string[];
  marks: ReceiptMarks;
  /** Acks this user wants sent (`ack delivered`/`read` up to here) and those already sent. */
  deliveredMark: number;
  readMark: number;
  deliveredAcked: number;
  readAcked: number;
  /** The disappearing-messages timer (seconds; absent or 0: off) as of `timerSeq`'s entry. */
  timer?: number;
  timerSeq?: number;
}

export function newConversation(conversation: ConversationId): ConversationRecord {
  return {
    conversation,
    lastSeq: 0,
    members: [],
    kind: "unknown",
    marks: {},
    deliveredMark: 0,
    readMark: 0,
    deliveredAcked: 0,
    readAcked: 0,
  };
}

export interface ClientStore {
  getCursor(): Promise<string | undefined>;
  setCursor(cursor: string): Promise<void>;
  putOutbox(record: OutboxRecord): Promise<void>;
  deleteOutbox(id: string): Promise<void>;
  /** Oldest first. */
  listOutbox(): Promise<OutboxRecord[]>;
  putMessage(message: StoredMessage): Promise<void>;
  getMessage(conversation: ConversationId, seq: number): Promise<StoredMessage | undefined>;
  /** In seq order; `beforeSeq` pages back through history. */
  listMessages(conversation: ConversationId, options?: { beforeSeq?: number; limit?: number }): Promise<StoredMessage[]>;
  getConversation(conversation: ConversationId): Promise<ConversationRecord | undefined>;
  putConversation(record: ConversationRecord): Promise<void>;
  listConversations(): Promise<ConversationRecord[]>;
  putPendingChange(change: PendingChange): Promise<void>;
  /** The changes held for a target, and forgets them. */
  takePendingChanges(conversation: ConversationId, target: number): Promise<PendingChange[]>;
  /** Messages stored `sealed` that may still decrypt: (conversation, seq) of each. */
  putWaiting(conversation: ConversationId, seq: number): Promise<void>;
  deleteWaiting(conversation: ConversationId, seq: number): Promise<void>;
  listWaiting(): Promise<{ conversation: ConversationId; seq: number }[]>;
  /** Deletes the messages whose `expiresAt` is at or before `now`; answers which they were. */
  deleteExpired(now: number): Promise<{ conversation: ConversationId; seq: number }[]>;
  /** The earliest `expiresAt` of a stored message, if any has one. */
  nextExpiry(): Promise<number | undefined>;
  close(): void;
}

interface Schema extends DBSchema {
  meta: { key: string; value: string };
  outbox: { key: string; value: OutboxRecord; indexes: { createdAt: number } };
  messages: { key: [string, number]; value: StoredMessage; indexes: { expiresAt: number } };
  conversations: { key: string; value: ConversationRecord };
  pendingChanges: { key: [string, number]; value: PendingChange; indexes: { target: [string, number] } };
  waiting: { key: [string, number]; value: { conversation: string; seq: number } };
}

/**
 * 2: change entries whose target is not held (`pendingChanges`), or (a database made by the
 * encrypting client's first version 2) the `waiting` list of messages whose room key has not
 * arrived. 3: both stores, whichever a version-2 database lacks is created. 4: messages indexed
 * by `expiresAt` (disappearing messages; a message without one is not in the index).
 */
const VERSION = 4;

/** Opens (creating if needed) the store of one user; one database per user id. */
export async function openIdbStore(name: string): Promise<ClientStore> {
  const db = await openDB<Schema>(name, VERSION, {
    upgrade(database, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        database.createObjectStore("meta");
        database.createObjectStore("outbox", { keyPath: "id" }).createIndex("createdAt", "createdAt");
        database.createObjectStore("messages", { keyPath: ["conversation", "seq"] });
        database.createObjectStore("conversations", { keyPath: "conversation" });
      }
      if (oldVersion < 3 && !database.objectStoreNames.contains("pendingChanges")) {
        database
          .createObjectStore("pendingChanges", { keyPath: ["conversation", "seq"] })
          .createIndex("target", ["conversation", "target"]);
      }
      if (oldVersion < 3 && !database.objectStoreNames.contains("waiting")) {
        database.createObjectStore("waiting", { keyPath: ["conversation", "seq"] });
      }
      if (oldVersion < 4) transaction.objectStore("messages").createIndex("expiresAt", "expiresAt");
    },
  });
  return new IdbStore(db);
}

class IdbStore implements ClientStore {
  constructor(private readonly db: IDBPDatabase<Schema>) {}

  getCursor() {
    return this.db.get("meta", "cursor");
  }
  async setCursor(cursor: string) {
    await this.db.put("meta", cursor, "cursor");
  }
  async putOutbox(record: OutboxRecord) {
    await this.db.put("outbox", record);
  }
  deleteOutbox(id: string) {
    return this.db.delete("outbox", id);
  }
  listOutbox() {
    return this.db.getAllFromIndex("outbox", "createdAt");
  }
  async putMessage(message: StoredMessage) {
    await this.db.put("messages", message);
  }
  getMessage(conversation: ConversationId, seq: number) {
    return this.db.get("messages", [conversation, seq]);
  }
  async listMessages(conversation: ConversationId, options: { beforeSeq?: number; limit?: number } = {}) {
    const upper = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const range = IDBKeyRange.bound([conversation, 0], [conversation, upper], false, true);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const out: StoredMessage[] = [];
    // Walk backwards from the newest so a page is the latest `limit` before `beforeSeq`.
    let cursor = await this.db.transaction("messages").store.openCursor(range, "prev");
    while (cursor !== null && out.length < limit) {
      out.push(cursor.value);
      cursor = await cursor.continue();
    }
    return out.reverse();
  }
  getConversation(conversation: ConversationId) {
    return this.db.get("conversations", conversation);
  }
  async putConversation(record: ConversationRecord) {
    await this.db.put("conversations", record);
  }
  listConversations() {
    return this.db.getAll("conversations");
  }
  async putPendingChange(change: PendingChange) {
    await this.db.put("pendingChanges", change);
  }
  async takePendingChanges(conversation: ConversationId, target: number) {
    const tx = this.db.transaction("pendingChanges", "readwrite");
    const index = tx.store.index("target");
    const changes = await index.getAll([conversation, target]);
    for (const change of changes) await tx.store.delete([conversation, change.seq]);
    await tx.done;
    return changes;
  }
  async putWaiting(conversation: ConversationId, seq: number) {
    await this.db.put("waiting", { conversation, seq });
  }
  deleteWaiting(conversation: ConversationId, seq: number) {
    return this.db.delete("waiting", [conversation, seq]);
  }
  listWaiting() {
    return this.db.getAll("waiting");
  }
  async deleteExpired(now: number) {
    const tx = this.db.transaction("messages", "readwrite");
    const gone: { conversation: ConversationId; seq: number }[] = [];
    let cursor = await tx.store.index("expiresAt").openCursor(IDBKeyRange.upperBound(now));
    while (cursor !== null) {
      gone.push({ conversation: cursor.value.conversation, seq: cursor.value.seq });
      await cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.done;
    return gone;
  }
  async nextExpiry() {
    const cursor = await this.db.transaction("messages").store.index("expiresAt").openCursor();
    return cursor?.value.expiresAt;
  }
  close() {
    this.db.close();
  }
}
