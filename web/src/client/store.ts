/**
 * What the client library keeps between page loads, and its IndexedDB implementation (through
 * `idb`, a small maintained wrapper): the outbox (a send is stored before it is sent, so a
 * reload never loses it), the sync cursor, the messages by (conversation, seq), and per
 * conversation the last seq delivered in order, its members and the receipt marks.
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
  attachment?: Attachment;
  system?: System;
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
  /** Edits, deletion and reactions folded in (state.ts); absent while unchanged. */
  state?: LocalState;
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
  close(): void;
}

interface Schema extends DBSchema {
  meta: { key: string; value: string };
  outbox: { key: string; value: OutboxRecord; indexes: { createdAt: number } };
  messages: { key: [string, number]; value: StoredMessage };
  conversations: { key: string; value: ConversationRecord };
  pendingChanges: { key: [string, number]; value: PendingChange; indexes: { target: [string, number] } };
}

/** 2: change entries whose target is not held (`pendingChanges`). */
const VERSION = 2;

/** Opens (creating if needed) the store of one user; one database per user id. */
export async function openIdbStore(name: string): Promise<ClientStore> {
  const db = await openDB<Schema>(name, VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore("meta");
        database.createObjectStore("outbox", { keyPath: "id" }).createIndex("createdAt", "createdAt");
        database.createObjectStore("messages", { keyPath: ["conversation", "seq"] });
        database.createObjectStore("conversations", { keyPath: "conversation" });
      }
      if (oldVersion < 2) {
        database
          .createObjectStore("pendingChanges", { keyPath: ["conversation", "seq"] })
          .createIndex("target", ["conversation", "target"]);
      }
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
  close() {
    this.db.close();
  }
}
