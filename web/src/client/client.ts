/**
 * ParleyClient: the connection, outbox, sync, ticks and receipts wired together behind one
 * small API for the UI. Frames are handled one at a time, in arrival order (a promise chain),
 * so the store is never read and written by two frames at once.
 *
 * Receipts: an `ack delivered` goes out for the newest message from someone else each time
 * messages arrive; `read` when the UI calls `markRead`. Acks not yet sent (offline) go out on
 * the next connect; each is cumulative, so only the highest seq is ever sent.
 *
 * Changes to messages (edit, delete for everyone, reactions) are entries of their own seq:
 * they go through the sync's in-order delivery like any message, but are never stored or shown
 * as messages: each is folded into its target's state (state.ts) and the target is handed to
 * the UI again. A change whose target is not held waits in the store until it arrives.
 */
import { Backoff } from "./backoff";
import { ChatSettingsBook, type ChatChange, type ChatSettings } from "./chats";
import { systemClock, type Clock } from "./clock";
import { attachmentFor, checkFile, putWithProgress, type FileLike, type UploadTarget } from "./files";
import { Connection, webSocketFactory, type SocketFactory, type TokenProvider } from "./connection";
import { Outbox, type SendInput } from "./outbox";
import { PresenceWatcher, type PresenceState } from "./presence";
import type { ClientFrame, ConversationId, FrameOf, ServerFrame } from "./protocol";
import { applyEntry, applySnapshot, emptyState, type ChangeEntry } from "./state";
import { newConversation, type ClientStore, type ConversationRecord, type OutboxRecord, type StoredMessage } from "./store";
import { Sync } from "./sync";
import { advance, applyReceipt, tickFromReceipts } from "./ticks";

export interface ClientOptions {
  websocketUrl: string;
  /** The signed-in user's id (the token's `sub`). */
  userId: string;
  tokenProvider: TokenProvider;
  store: ClientStore;
  socketFactory?: SocketFactory;
  clock?: Clock;
  random?: () => number;
  newId?: () => string;
  replyTimeoutMs?: number;
  syncPageSize?: number;
}

export interface ClientListener {
  /** A message delivered in order, or an own message whose tick moved. */
  message?(message: StoredMessage): void;
  outbox?(record: OutboxRecord, change: "queued" | "failed" | "removed"): void;
  conversation?(record: ConversationRecord): void;
  typing?(conversation: ConversationId, from: string): void;
  connection?(open: boolean): void;
  /** The user's settings of chats changed (one, or all after a `chats` listing). */
  chats?(changed: ChatSettings[]): void;
}

/** Whom the user shows their online state and last seen to. */
export type Audience = "everyone" | "contacts" | "nobody";

type RequestFrame = Extract<ClientFrame, { id: string }> & { action: Exclude<ClientFrame["action"], "send"> };
type Pending = { resolve: (frame: ServerFrame) => void; reject: (error: Error) => void; timer: unknown };

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ParleyClient {
  readonly connection: Connection;
  readonly outbox: Outbox;
  /** The user's chat settings, as the server last said them. */
  readonly chatSettings = new ChatSettingsBook();
  private readonly sync: Sync;
  private readonly presence: PresenceWatcher;
  private readonly clock: Clock;
  private readonly listeners = new Set<ClientListener>();
  private readonly pending = new Map<string, Pending>();
  private readonly newId: () => string;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: ClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? (() => crypto.randomUUID());
    const socketFactory = options.socketFactory ?? webSocketFactory();
    this.connection = new Connection({
      url: options.websocketUrl,
      socketFactory,
      tokenProvider: options.tokenProvider,
      clock: this.clock,
      backoff: new Backoff({ baseMs: 500, capMs: 30_000, ...(options.random ? { random: options.random } : {}) }),
      listener: {
        open: () => this.enqueue(() => this.onOpen()),
        close: () => this.enqueue(async () => this.onClose()),
        frame: (frame) => this.enqueue(() => this.onFrame(frame)),
      },
    });
    const transmit = (frame: ClientFrame) => this.connection.send(frame);
    this.outbox = new Outbox({
      store: options.store,
      clock: this.clock,
      newId: this.newId,
      transmit,
      onChange: (record, change) => this.emit((l) => l.outbox?.(record, change)),
      ...(options.replyTimeoutMs !== undefined ? { replyTimeoutMs: options.replyTimeoutMs } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.sync = new Sync({
      store: options.store,
      transmit,
      deliver: (messages) => this.deliver(messages),
      ...(options.syncPageSize !== undefined ? { pageSize: options.syncPageSize } : {}),
    });
    this.presence = new PresenceWatcher({ clock: this.clock, transmit, newId: this.newId });
  }

  /** Loads the outbox left by an earlier page load, then connects. */
  async start(): Promise<void> {
    await this.outbox.load();
    this.connection.start();
  }

  stop(): void {
    this.connection.stop();
  }

  /** Resolves once every frame received so far has been handled (for tests and the UI). */
  settled(): Promise<void> {
    return this.chain;
  }

  subscribe(listener: ClientListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores the message in the outbox and sends it (now, or when connected). */
  send(input: SendInput): Promise<OutboxRecord> {
    return this.outbox.enqueue(input);
  }

  /** New text for one's own message (the server allows 15 minutes after sending). */
  edit(conversation: ConversationId, target: number, body: string): Promise<OutboxRecord> {
    return this.send({ conversation, kind: "edit", target, body });
  }

  /** Delete for everyone: one's own message, or any in a group one is admin of. */
  deleteForEveryone(conversation: ConversationId, target: number): Promise<OutboxRecord> {
    return this.send({ conversation, kind: "delete", target });
  }

  /** The user's one reaction to a message (replacing theirs before); `undefined` removes it. */
  react(conversation: ConversationId, target: number, emoji: string | undefined): Promise<OutboxRecord> {
    return this.send(emoji === undefined ? { conversation, kind: "unreact", target } : { conversation, kind: "react", target, body: emoji });
  }

  /**
   * Watches a user's online state and last seen while a chat with them is open; the listener
   * hears the state now and every change. Call the returned function when the chat closes.
   */
  watchPresence(user: string, listener: (state: PresenceState) => void): () => void {
    return this.presence.watch(user, listener);
  }

  /** Reads (no argument) or sets whom the user's presence is shown to. */
  async privacy(lastSeen?: Audience): Promise<Audience> {
    const reply = await this.request({ action: "privacy", ...(lastSeen !== undefined ? { lastSeen } : {}) });
    if (reply.type !== "privacy") throw new RequestError("internal", `unexpected ${reply.type}`);
    return reply.lastSeen;
  }

  /** Reads (no argument) or sets whether a reaction to the user's message is pushed while offline. */
  async reactionPush(on?: boolean): Promise<boolean> {
    const reply = await this.request({ action: "prefs", ...(on !== undefined ? { reactionPush: on } : {}) });
    if (reply.type !== "prefs") throw new RequestError("internal", `unexpected ${reply.type}`);
    return reply.reactionPush;
  }

  /** The user has seen everything up to `seq` in the conversation. */
  markRead(conversation: ConversationId, seq: number): Promise<void> {
    return this.enqueue(async () => {
      const record = (await this.options.store.getConversation(conversation)) ?? newConversation(conversation);
      const upTo = Math.min(seq, record.lastSeq);
      if (upTo <= record.readMark) return;
      record.readMark = upTo;
      await this.flushAcks(record);
    });
  }

  /** Best effort: typing indicators are never stored or retried. */
  typing(conversation: ConversationId): void {
    this.connection.send({ action: "typing", conversation });
  }

  /** A request/reply frame (lookup, group actions, files, push); rejects on `error`. */
  request<F extends Omit<RequestFrame, "id">>(frame: F, timeoutMs = 30_000): Promise<ServerFrame> {
    const id = this.newId();
    return new Promise((resolve, reject) => {
      if (!this.connection.send({ ...frame, id } as unknown as ClientFrame)) {
        reject(new RequestError("offline", "not connected"));
        return;
      }
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError("timeout", "no reply"));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /**
   * Sends a file: checks it against the protocol's rules, reserves a key (`uploadUrl`), PUTs
   * the bytes with progress, then sends the attachment through the outbox. Rejects with the
   * reason when the file is refused (before any upload) or the upload fails.
   */
  async sendFile(
    target: UploadTarget,
    file: Blob & FileLike,
    progress: (sent: number, total: number) => void,
    body?: string,
  ): Promise<OutboxRecord> {
    const check = checkFile(file);
    if (!check.ok) throw new RequestError("bad_request", check.reason);
    const reply = await this.request({
      action: "uploadUrl",
      ...target,
      name: file.name,
      contentType: check.contentType,
      size: file.size,
    });
    if (reply.type !== "uploadUrl") throw new RequestError("internal", `unexpected ${reply.type}`);
    await putWithProgress(reply, file, progress);
    const attachment = attachmentFor(reply.key, file, check.contentType);
    return this.send({ ...target, attachment, ...(body ? { body } : {}) });
  }

  /** A short-lived URL to GET an attachment's bytes. */
  async downloadUrl(key: string): Promise<string> {
    const reply = await this.request({ action: "downloadUrl", key });
    if (reply.type !== "downloadUrl") throw new RequestError("internal", `unexpected ${reply.type}`);
    return reply.url;
  }

  /**
   * Changes the user's settings of a chat (their other devices get the change live); resolves
   * with the settings as they now stand. A fourth pin rejects with `too_large` and the
   * server's message.
   */
  async setChat(conversation: ConversationId, change: ChatChange): Promise<ChatSettings> {
    const reply = await this.request({ action: "chat", conversation, ...change });
    if (reply.type !== "chat") throw new RequestError("internal", `unexpected ${reply.type}`);
    return this.chatSettings.get(conversation);
  }

  /** Asks for every chat's settings (done on each connect); resolves once they are applied. */
  async refreshChats(): Promise<ChatSettings[]> {
    const reply = await this.request({ action: "chats" });
    if (reply.type !== "chats") throw new RequestError("internal", `unexpected ${reply.type}`);
    return reply.chats;
  }

  history(conversation: ConversationId, options?: { beforeSeq?: number; limit?: number }): Promise<StoredMessage[]> {
    return this.options.store.listMessages(conversation, options);
  }

  conversation(conversation: ConversationId): Promise<ConversationRecord | undefined> {
    return this.options.store.getConversation(conversation);
  }

  conversations(): Promise<ConversationRecord[]> {
    return this.options.store.listConversations();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    // A failure in one frame must not stop the frames after it.
    this.chain = this.chain.then(work).catch((error: unknown) => console.error("parley client:", error));
    return this.chain;
  }

  private emit(call: (listener: ClientListener) => void): void {
    for (const listener of this.listeners) call(listener);
  }

  private async onOpen(): Promise<void> {
    this.emit((l) => l.connection?.(true));
    await this.sync.onOpen();
    this.outbox.onOpen();
    this.presence.onOpen();
    // Not awaited: the reply is handled by this same chain of frames. A failed listing is
    // asked again on the next connect.
    this.refreshChats().catch(() => {});
    for (const record of await this.options.store.listConversations()) await this.flushAcks(record);
  }

  private onClose(): void {
    this.outbox.onClose();
    this.sync.onClose();
    this.presence.onClose();
    for (const [id, pending] of this.pending) {
      this.clock.clearTimeout(pending.timer);
      pending.reject(new RequestError("offline", "connection closed"));
      this.pending.delete(id);
    }
    this.emit((l) => l.connection?.(false));
  }

  private async onFrame(frame: ServerFrame): Promise<void> {
    switch (frame.type) {
      case "message":
        await this.sync.accept(await this.fromMessage(frame));
        return;
      case "sent":
        await this.onSent(frame);
        return;
      case "synced":
        await this.sync.onSynced(frame);
        return;
      case "receipt":
        await this.onReceipt(frame);
        return;
      case "typing":
        this.emit((l) => l.typing?.(frame.conversation, frame.from));
        return;
      case "error":
        if (frame.id !== undefined) {
          await this.outbox.onError(frame);
          this.settle(frame.id, new RequestError(frame.code, frame.message));
        }
        return;
      case "group":
        await this.learnGroup(frame);
        this.settle(frame.id, frame);
        return;
      case "chat": {
        const { id, type: _type, ...settings } = frame;
        this.chatSettings.apply(settings);
        this.emit((l) => l.chats?.([settings]));
        if (id !== undefined) this.settle(id, frame);
        return;
      }
      case "chats":
        this.chatSettings.replace(frame.chats);
        this.emit((l) => l.chats?.(frame.chats));
        this.settle(frame.id, frame);
        return;
      case "presence":
        this.presence.onPresence(frame);
        if (frame.id !== undefined) this.settle(frame.id, frame);
        return;
      case "pong":
        // The keepalive's answer: receiving it was the point.
        return;
      default:
        if ("id" in frame && frame.id !== undefined) this.settle(frame.id, frame);
    }
  }

  private settle(id: string, outcome: ServerFrame | Error): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    this.clock.clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private async fromMessage(frame: FrameOf<"message">): Promise<StoredMessage> {
    const own = frame.from === this.options.userId;
    const stored: StoredMessage = {
      conversation: frame.conversation,
      seq: frame.seq,
      messageId: frame.messageId,
      id: frame.id,
      from: frame.from,
      ts: frame.ts,
      own,
      ...(frame.body !== undefined ? { body: frame.body } : {}),
      ...(frame.attachment !== undefined ? { attachment: frame.attachment } : {}),
      ...(frame.system !== undefined ? { system: frame.system } : {}),
      ...(frame.kind !== undefined ? { kind: frame.kind } : {}),
      ...(frame.target !== undefined ? { target: frame.target } : {}),
      ...(frame.replyTo !== undefined ? { replyTo: frame.replyTo } : {}),
      ...(frame.mentions !== undefined ? { mentions: frame.mentions } : {}),
      ...(frame.forwarded === true ? { forwarded: true } : {}),
      ...(frame.state !== undefined ? { state: applySnapshot(emptyState(), frame.state) } : {}),
    };
    if (own && frame.system === undefined && frame.kind === undefined) {
      stored.tick = "sent";
      stored.recipients = await this.recipients(frame.conversation);
    }
    return stored;
  }

  private async onSent(frame: FrameOf<"sent">): Promise<void> {
    const record = await this.outbox.onSent(frame);
    if (record === undefined) return;
    const conversation = (await this.options.store.getConversation(frame.conversation)) ?? newConversation(frame.conversation);
    const toUser = record.frame.toUser;
    if (toUser !== undefined && conversation.kind === "unknown") {
      conversation.kind = "direct";
      conversation.members = [this.options.userId, toUser];
      await this.options.store.putConversation(conversation);
    }
    const sent = record.frame;
    const change = sent.kind !== undefined && sent.target !== undefined;
    const quoted = sent.replyTo !== undefined ? await this.options.store.getMessage(frame.conversation, sent.replyTo.seq) : undefined;
    const stored: StoredMessage = {
      conversation: frame.conversation,
      seq: frame.seq,
      messageId: frame.messageId,
      id: frame.id,
      from: this.options.userId,
      ts: frame.ts,
      own: true,
      // A change entry has no tick: it is never shown as a message.
      ...(change ? { kind: sent.kind!, target: sent.target! } : { tick: "sent" as const, recipients: conversation.members.filter((m) => m !== this.options.userId) }),
      ...(sent.body !== undefined ? { body: sent.body } : {}),
      ...(sent.attachment !== undefined ? { attachment: sent.attachment } : {}),
      ...(sent.replyTo !== undefined ? { replyTo: { ...sent.replyTo, from: quoted?.from ?? "" } } : {}),
      ...(sent.mentions !== undefined ? { mentions: sent.mentions } : {}),
      ...(sent.forwarded === true ? { forwarded: true } : {}),
    };
    await this.sync.accept(stored);
  }

  private async recipients(conversation: ConversationId): Promise<string[]> {
    const record = await this.options.store.getConversation(conversation);
    return (record?.members ?? []).filter((m) => m !== this.options.userId);
  }

  /** Stores messages the sync released in order, updates the conversation, acks delivery. */
  private async deliver(messages: StoredMessage[]): Promise<void> {
    const first = messages[0];
    if (first === undefined) return;
    const record = (await this.options.store.getConversation(first.conversation)) ?? newConversation(first.conversation);
    // What the UI is told of, each seq once: new messages, and targets a change altered.
    const shown = new Map<number, StoredMessage>();
    for (const message of messages) {
      if (!message.own) record.deliveredMark = Math.max(record.deliveredMark, message.seq);
      record.lastSeq = Math.max(record.lastSeq, message.seq);
      if (message.kind !== undefined && message.target !== undefined) {
        const target = await this.applyChange(message, { kind: message.kind, target: message.target });
        if (target !== undefined) shown.set(target.seq, target);
        continue;
      }
      for (const change of await this.options.store.takePendingChanges(message.conversation, message.seq)) {
        foldChange(message, change);
      }
      if (message.system !== undefined) applySystem(record, message);
      else if (record.kind === "unknown" && !message.own) {
        // A direct chat learns its other member from the first message they send.
        record.kind = "direct";
        record.members = [this.options.userId, message.from];
      }
      if (message.own && message.tick !== undefined) {
        if ((message.recipients ?? []).length === 0) {
          message.recipients = record.members.filter((m) => m !== this.options.userId);
        }
        message.tick = advance(message.tick, tickFromReceipts(message.seq, message.recipients ?? [], record.marks));
      }
      await this.options.store.putMessage(message);
      shown.set(message.seq, message);
    }
    await this.flushAcks(record);
    this.emit((l) => {
      for (const message of shown.values()) l.message?.(message);
      l.conversation?.(record);
    });
  }

  /** Folds a change entry into its target (stored again), or keeps it until the target comes. */
  private async applyChange(entry: StoredMessage, change: Pick<ChangeEntry, "kind" | "target">): Promise<StoredMessage | undefined> {
    const pending: ChangeEntry = {
      seq: entry.seq,
      ts: entry.ts,
      from: entry.from,
      ...change,
      ...(entry.body !== undefined ? { body: entry.body } : {}),
    };
    const target = await this.options.store.getMessage(entry.conversation, change.target);
    if (target === undefined) {
      await this.options.store.putPendingChange({ conversation: entry.conversation, ...pending });
      return undefined;
    }
    foldChange(target, pending);
    await this.options.store.putMessage(target);
    return target;
  }

  private async onReceipt(frame: FrameOf<"receipt">): Promise<void> {
    const record = (await this.options.store.getConversation(frame.conversation)) ?? newConversation(frame.conversation);
    record.marks = applyReceipt(record.marks, frame.by, frame.status, frame.seq);
    await this.options.store.putConversation(record);
    const changed: StoredMessage[] = [];
    // Own messages that may have moved: those the receipt covers that are not read yet.
    for (const message of await this.options.store.listMessages(frame.conversation, { beforeSeq: frame.seq + 1 })) {
      if (!message.own || message.tick === undefined || message.tick === "read") continue;
      const tick = advance(message.tick, tickFromReceipts(message.seq, message.recipients ?? [], record.marks));
      if (tick !== message.tick) {
        message.tick = tick;
        await this.options.store.putMessage(message);
        changed.push(message);
      }
    }
    this.emit((l) => changed.forEach((m) => l.message?.(m)));
  }

  private async learnGroup(frame: FrameOf<"group">): Promise<void> {
    const record = (await this.options.store.getConversation(frame.conversation)) ?? newConversation(frame.conversation);
    record.kind = "group";
    record.name = frame.name;
    record.members = [...frame.members];
    record.admins = [...frame.admins];
    await this.options.store.putConversation(record);
    this.emit((l) => l.conversation?.(record));
  }

  /** Sends the acks the conversation owes (if connected) and stores the record. */
  private async flushAcks(record: ConversationRecord): Promise<void> {
    const conversation = record.conversation;
    if (record.deliveredMark > record.deliveredAcked &&
        this.connection.send({ action: "ack", conversation, seq: record.deliveredMark, status: "delivered" })) {
      record.deliveredAcked = record.deliveredMark;
    }
    if (record.readMark > record.readAcked &&
        this.connection.send({ action: "ack", conversation, seq: record.readMark, status: "read" })) {
      record.readAcked = record.readMark;
    }
    await this.options.store.putConversation(record);
  }
}

/** Folds a change into a message; a deletion also drops the text and the file. */
function foldChange(message: StoredMessage, change: ChangeEntry): void {
  message.state = applyEntry(message.state ?? emptyState(), change);
  if (message.state.deleted !== undefined) {
    delete message.body;
    delete message.attachment;
  }
}

/**
 * A group's membership change, as its system message tells it. Admins are not in system
 * messages, so they are derived by the server's rules (docs/protocol.md): the creator is the
 * first admin; when the last admin leaves (or is removed), the first remaining member by id
 * becomes admin. A `group` reply, when this user acts, states them outright.
 */
function applySystem(record: ConversationRecord, message: StoredMessage): void {
  const system = message.system!;
  record.kind = "group";
  record.name = system.name;
  const members = new Set(record.members);
  switch (system.event) {
    case "created":
      record.members = [...system.members];
      record.admins = [message.from];
      return;
    case "added":
      system.members.forEach((m) => members.add(m));
      break;
    case "removed":
    case "left":
      system.members.forEach((m) => members.delete(m));
      break;
  }
  record.members = [...members];
  const admins = (record.admins ?? []).filter((a) => members.has(a));
  const first = [...members].sort()[0];
  record.admins = admins.length === 0 && first !== undefined ? [first] : admins;
}
