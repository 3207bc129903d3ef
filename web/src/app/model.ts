/**
 * The UI's view of a signed-in session, on top of the client library: the conversation list
 * (sorted by latest message, with unread counts and previews), who is typing where, whether
 * the connection is up, and the outbox. Components subscribe and re-render on change; the
 * model holds no protocol logic of its own (that is ParleyClient's).
 */
import { arrange, isMuted, type ChatChange, type ChatSettings, type ConversationRecord, type OutboxRecord, type ParleyClient, type StoredMessage } from "../client";
import type { Contacts } from "./contacts";
import { isLine } from "./format";

export interface Summary {
  conversation: string;
  record: ConversationRecord;
  last?: StoredMessage;
  unread: number;
  lastTs: number;
}

/** An open chat: a conversation, or a direct chat with someone not yet written to. */
export type ChatKey = { conversation: string } | { toUser: string };

/** How long "typing…" shows after the last typing frame (senders repeat it every 3 s). */
export const TYPING_SHOWN_MS = 5_000;
/** Unread counts look this far back (shown as "99+" beyond). */
const UNREAD_WINDOW = 100;

export class ChatModel {
  online = false;
  /** Every chat, latest message first. */
  summaries: Summary[] = [];
  /** The chat list as shown: pinned chats first, then the rest, archived ones left out. */
  listed: Summary[] = [];
  /** Archived chats, latest message first. */
  archived: Summary[] = [];
  /** Why the last change of a chat's settings was refused (e.g. a fourth pin), until the next. */
  settingsError: string | undefined;
  /** Why the last block or unblock failed (e.g. offline), until the next. */
  blockError: string | undefined;
  private readonly byConversation = new Map<string, Summary>();
  private readonly typing = new Map<string, Map<string, number>>();
  /** Per conversation, the highest seq handed to `onMessage`. */
  private readonly seen = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly dirty = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly client: ParleyClient,
    readonly contacts: Contacts,
    readonly me: { userId: string; username: string },
    private readonly notify: (title: string, body: string, conversation: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.client.subscribe({
      message: (message) => this.onMessage(message),
      conversation: (record) => this.markDirty(record.conversation),
      typing: (conversation, from) => this.onTyping(conversation, from),
      connection: (open) => {
        this.online = open;
        this.changed();
      },
      outbox: () => this.changed(),
      chats: () => {
        this.arrange();
        this.changed();
      },
      blocks: () => this.changed(),
      expired: (messages) => new Set(messages.map((m) => m.conversation)).forEach((c) => this.markDirty(c)),
    });
    for (const record of await this.client.conversations()) await this.refresh(record.conversation);
    this.changed();
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.flushTimer);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(conversation: string): Summary | undefined {
    return this.byConversation.get(conversation);
  }

  /** The direct chat with a user, if there is one yet. */
  directWith(userId: string): Summary | undefined {
    return this.summaries.find((s) => s.record.kind === "direct" && s.record.members.includes(userId));
  }

  /** Resolves a chat to its conversation once it has one (a first message was sent). */
  resolve(chat: ChatKey): ChatKey {
    if ("toUser" in chat) {
      const direct = this.directWith(chat.toUser);
      if (direct !== undefined) return { conversation: direct.conversation };
    }
    return chat;
  }

  /** Read at each render: a contact looked up since the last message renames the chat. */
  title(chat: ChatKey): string {
    if ("toUser" in chat) return this.contacts.label(chat.toUser);
    const record = this.byConversation.get(chat.conversation)?.record;
    return record === undefined ? "Chat" : this.titleOf(record);
  }

  /** Messages of the chat still in the outbox (sending, or refused). */
  pending(chat: ChatKey): OutboxRecord[] {
    const direct = "conversation" in chat ? this.byConversation.get(chat.conversation) : undefined;
    const other = direct?.record.kind === "direct" ? direct.record.members.find((m) => m !== this.me.userId) : undefined;
    return this.client.outbox.list().filter((record) => {
      const frame = record.frame;
      if ("toUser" in chat) return frame.toUser === chat.toUser;
      return frame.conversation === chat.conversation || (other !== undefined && frame.toUser === other);
    });
  }

  /** Who is typing in a conversation now (their labels). */
  typingIn(conversation: string): string[] {
    const now = Date.now();
    return [...(this.typing.get(conversation) ?? new Map<string, number>())]
      .filter(([, until]) => until > now)
      .map(([user]) => this.contacts.label(user));
  }

  /** The user's settings of a chat (the same on all their devices). */
  settings(conversation: string): ChatSettings {
    return this.client.chatSettings.get(conversation);
  }

  muted(conversation: string): boolean {
    return isMuted(this.settings(conversation), Date.now());
  }

  /** Changes a chat's settings; a refusal (a fourth pin) is kept in `settingsError`. */
  async setChat(conversation: string, change: ChatChange): Promise<void> {
    this.settingsError = undefined;
    try {
      await this.client.setChat(conversation, change);
    } catch (error) {
      this.settingsError = error instanceof Error ? error.message : String(error);
    }
    this.arrange();
    this.changed();
  }

  /** Whether the user blocks this user (as the server last said). */
  blocks(user: string): boolean {
    return this.client.blockList.has(user);
  }

  /** Everyone the user blocks. */
  blocked(): string[] {
    return this.client.blockList.list();
  }

  /** Blocks or unblocks a user; a failure is kept in `blockError`. Resolves with success. */
  async setBlocked(user: string, blocked: boolean): Promise<boolean> {
    this.blockError = undefined;
    try {
      await this.client.block(user, blocked);
      return true;
    } catch (error) {
      this.blockError = error instanceof Error ? error.message : String(error);
      return false;
    } finally {
      this.changed();
    }
  }

  /** The user opened a chat: a "marked unread" mark is cleared, on all their devices. */
  async opened(conversation: string): Promise<void> {
    if (this.settings(conversation).unread) await this.setChat(conversation, { unread: false });
  }

  async markRead(conversation: string, seq: number): Promise<void> {
    await this.client.markRead(conversation, seq);
    this.markDirty(conversation);
  }

  /** Re-reads one conversation's summary from the store. */
  async refresh(conversation: string): Promise<void> {
    const record = await this.client.conversation(conversation);
    if (record === undefined) return;
    const recent = await this.client.history(conversation, { limit: UNREAD_WINDOW });
    const last = recent[recent.length - 1];
    // Nothing to list yet: a chat whose only entries were a blocked user's (skipped).
    if (record.kind === "unknown" && last === undefined) return;
    const summary: Summary = {
      conversation,
      record,
      unread: recent.filter((m) => !m.own && !isLine(m) && m.seq > record.readMark).length,
      lastTs: last?.ts ?? 0,
      ...(last !== undefined ? { last } : {}),
    };
    this.byConversation.set(conversation, summary);
    this.summaries = [...this.byConversation.values()].sort((a, b) => b.lastTs - a.lastTs);
    this.arrange();
  }

  private arrange(): void {
    const { listed, archived } = arrange(this.summaries, this.client.chatSettings);
    this.listed = listed;
    this.archived = archived;
  }

  private titleOf(record: ConversationRecord): string {
    if (record.kind === "group") return record.name ?? "Group";
    const other = record.members.find((m) => m !== this.me.userId);
    return other === undefined ? "Chat" : this.contacts.label(other);
  }

  private onMessage(message: StoredMessage): void {
    // A message changed (edited, reacted to) comes again: only a seq not seen before is news.
    const known = Math.max(this.byConversation.get(message.conversation)?.record.lastSeq ?? 0, this.seen.get(message.conversation) ?? 0);
    this.seen.set(message.conversation, Math.max(known, message.seq));
    const fresh = !message.own && message.seq > known;
    if (fresh) this.typing.get(message.conversation)?.delete(message.from);
    // A muted chat raises no notification, unless the message mentions this user (as push).
    const quiet = this.muted(message.conversation) && !(message.mentions ?? []).includes(this.me.userId);
    if (fresh && !quiet && !isLine(message) && typeof document !== "undefined" && document.hidden) {
      const who = this.contacts.label(message.from);
      const text = message.body ?? (message.attachment !== undefined ? `File: ${message.attachment.name}` : "An encrypted message");
      this.notify(who, text, message.conversation);
    }
    this.markDirty(message.conversation);
  }

  private onTyping(conversation: string, from: string): void {
    const users = this.typing.get(conversation) ?? new Map<string, number>();
    users.set(from, Date.now() + TYPING_SHOWN_MS);
    this.typing.set(conversation, users);
    this.changed();
    // Re-render when it runs out, so "typing…" clears by itself.
    setTimeout(() => this.changed(), TYPING_SHOWN_MS + 50);
  }

  /** Summaries are re-read in batches: a sync can deliver hundreds of messages at once. */
  private markDirty(conversation: string): void {
    this.dirty.add(conversation);
    this.flushTimer ??= setTimeout(() => void this.flush(), 30);
  }

  private async flush(): Promise<void> {
    const conversations = [...this.dirty];
    this.dirty.clear();
    for (const conversation of conversations) await this.refresh(conversation);
    this.flushTimer = undefined;
    if (this.dirty.size > 0) this.flushTimer = setTimeout(() => void this.flush(), 30);
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
