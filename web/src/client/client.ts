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
 *
 * A `skip` (an entry from someone this user blocks) goes through the in-order delivery as a
 * placeholder that fills its seq, so no gap waits on it: the conversation's last seq and the
 * sync cursor move past it, but it is never stored, shown, notified or acked on its own.
 *
 * Disappearing messages (expiry.ts): a `timer` entry sets the conversation's timer (kept on
 * its record) and is stored as a line to show. A message that carries `expiresAt` (this
 * device's own sends take it from the timer in force at their seq, their `sent` not saying)
 * is hidden and deleted then: one alarm fires at the earliest expiry, deletes what is due
 * from the store and tells the UI (`expired`); `history` never hands out a message past it,
 * and one that arrives already expired takes its seq without being stored.
 *
 * End-to-end encryption (with `encryption`, issue 15): the connection names the device
 * (`?device=`); on each connect the engine uploads its keys as needed and the device's
 * to-device inbox is synced (each batch fed to the engine, then acknowledged) before the
 * messages are, so room keys come before the messages that need them. Every send with a body
 * is encrypted for every device of every member before it first goes out (the outbox keeps
 * the ciphertext for its retries). A message that came encrypted is decrypted before it is
 * stored; one whose key has not come is stored `sealed` ("waiting for key", or "sent before
 * this device") and decrypted when its key arrives. The engine's exchanges with the server
 * run beside the chain of frames (their replies come through it), never inside it.
 */
import { Backoff } from "./backoff";
import { BlockList } from "./blocks";
import { ChatSettingsBook, type ChatChange, type ChatSettings } from "./chats";
import { systemClock, type Clock } from "./clock";
import { attachmentFor, checkFile, putWithProgress, type FileLike, type UploadTarget } from "./files";
import { ExpiryAlarm, expiryOf, isExpired } from "./expiry";
import { Connection, webSocketFactory, type SocketFactory, type TokenProvider } from "./connection";
import { MAX_ENCRYPTED_BODY_BYTES, socketKeys, type Decryption, type DeviceInfo, type Inbound, type KeyTransport, type MessageEncryption } from "./encryption";
import { Outbox, type SendInput } from "./outbox";
import type { DeviceVerifier } from "./verification";
import { PresenceWatcher, type PresenceState } from "./presence";
import type { MessageState } from "@parley/protocol";
import type { Attachment, ClientFrame, ConversationId, FrameOf, ServerFrame } from "./protocol";
import { applyEntry, applySnapshot, emptyState, type ChangeEntry } from "./state";
import { newConversation, type ClientStore, type ConversationRecord, type OutboxRecord, type SealedAttachment, type StoredMessage } from "./store";
import { snapshotEntryId } from "./crypto/ids";
import { directConversation } from "./ids";
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
  /** This device's end-to-end encryption; without it the client sends and reads plain text. */
  encryption?: MessageEncryption;
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
  /** Whom the user blocks changed (from this device, another one, or the listing on connect). */
  blocks?(blocked: string[]): void;
  /** Disappearing messages whose time ran out: deleted from the store, to be hidden. */
  expired?(messages: { conversation: ConversationId; seq: number }[]): void;
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
  /** Whom the user blocks, as the server last said. */
  readonly blockList = new BlockList();
  private readonly sync: Sync;
  private readonly presence: PresenceWatcher;
  private readonly clock: Clock;
  private readonly listeners = new Set<ClientListener>();
  private readonly pending = new Map<string, Pending>();
  private readonly newId: () => string;
  private chain: Promise<void> = Promise.resolve();
  /** The engine's work (to-device batches, key counts): one at a time, beside `chain`. */
  private keyChain: Promise<void> = Promise.resolve();
  /** `keys` parts received so far, by request id. */
  private readonly keyParts = new Map<string, FrameOf<"keys">["devices"]>();
  /** The key frames over this client's connection. */
  private readonly keys: KeyTransport;
  /** Whether this connection's message sync started (after its to-device inbox was synced). */
  private messagesSyncing = false;
  /** Fires at the earliest `expiresAt` of a stored message. */
  private readonly expiry: ExpiryAlarm;

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
      ...(options.encryption !== undefined ? { query: { device: options.encryption.deviceId } } : {}),
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
      ...(options.encryption !== undefined ? { prepare: (record: OutboxRecord) => this.seal(record) } : {}),
    });
    this.keys = socketKeys((frame) => this.request(frame));
    this.sync = new Sync({
      store: options.store,
      transmit,
      deliver: (messages) => this.deliver(messages),
      ...(options.syncPageSize !== undefined ? { pageSize: options.syncPageSize } : {}),
    });
    this.presence = new PresenceWatcher({ clock: this.clock, transmit, newId: this.newId });
    this.expiry = new ExpiryAlarm(this.clock, () => void this.enqueue(() => this.purgeExpired()));
  }

  /** Loads the outbox left by an earlier page load, then connects. */
  async start(): Promise<void> {
    await this.outbox.load();
    // What expired while the page was closed goes first; the alarm is set for the rest.
    await this.enqueue(() => this.purgeExpired());
    this.connection.start();
  }

  stop(): void {
    this.connection.stop();
    this.expiry.cancel();
  }

  /** Resolves once every frame received so far has been handled (for tests and the UI). */
  settled(): Promise<void> {
    return this.chain;
  }

  subscribe(listener: ClientListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stores the message in the outbox and sends it (now, or when connected). Encrypting, a
   * text over MAX_ENCRYPTED_BODY_BYTES is refused (`too_large`) before it is stored.
   */
  async send(input: SendInput): Promise<OutboxRecord> {
    if (this.options.encryption !== undefined && input.body !== undefined && new TextEncoder().encode(input.body).length > MAX_ENCRYPTED_BODY_BYTES) {
      throw new RequestError("too_large", `A message holds at most ${MAX_ENCRYPTED_BODY_BYTES / 1024} KiB of text: send it in parts.`);
    }
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
   * Sets the conversation's disappearing-messages timer (seconds, one of `TIMER_SECONDS`; 0
   * turns it off): any member of a direct chat, a group's admin (else the outbox record
   * fails `forbidden`, with the server's reason). Messages sent after it expire that long after
   * they were sent.
   */
  setTimer(conversation: ConversationId, seconds: number): Promise<OutboxRecord> {
    return this.send({ conversation, kind: "timer", seconds });
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
    if (this.options.encryption !== undefined) return this.sendSealedFile(this.options.encryption, target, file, check.contentType, progress, body);
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

  /**
   * `sendFile`, end to end encrypted: the bytes are encrypted here and uploaded under a
   * neutral name and type (`file`, `application/octet-stream`); the real name, type and the
   * key to the bytes go inside the message's ciphertext.
   */
  private async sendSealedFile(
    encryption: MessageEncryption,
    target: UploadTarget,
    file: Blob & FileLike,
    contentType: string,
    progress: (sent: number, total: number) => void,
    body?: string,
  ): Promise<OutboxRecord> {
    const { data, file: key } = encryption.encryptFile(new Uint8Array(await file.arrayBuffer()));
    const reply = await this.request({ action: "uploadUrl", ...target, name: SEALED_FILE_NAME, contentType: SEALED_FILE_TYPE, size: data.length });
    if (reply.type !== "uploadUrl") throw new RequestError("internal", `unexpected ${reply.type}`);
    await putWithProgress(reply, new Blob([data as Uint8Array<ArrayBuffer>]), progress);
    const neutral = { key: reply.key, name: SEALED_FILE_NAME, contentType: SEALED_FILE_TYPE, size: data.length };
    const real = { ...attachmentFor(reply.key, file, contentType), file: key };
    return this.outbox.enqueue({ ...target, attachment: neutral, ...(body ? { body } : {}) }, { attachment: real });
  }

  /** An encrypted file's bytes, decrypted (a `SealedAttachment`'s). */
  async fetchSealedFile(attachment: SealedAttachment): Promise<Uint8Array> {
    const encryption = this.options.encryption;
    if (encryption === undefined) throw new RequestError("internal", "this client does not decrypt");
    const response = await fetch(await this.downloadUrl(attachment.key));
    if (!response.ok) throw new RequestError("internal", `the download failed (HTTP ${response.status})`);
    return encryption.decryptFile(new Uint8Array(await response.arrayBuffer()), attachment.file);
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

  /**
   * Blocks (or, with `false`, unblocks) a user, on all of this user's devices. Their messages,
   * typing and receipts stop reaching this user (each of their entries comes as a `skip`),
   * and a direct message to them is refused until unblocked. They are not told.
   */
  async block(user: string, blocked: boolean): Promise<void> {
    const reply = await this.request({ action: "block", user, blocked });
    if (reply.type !== "blocked") throw new RequestError("internal", `unexpected ${reply.type}`);
  }

  /** Asks whom the user blocks (done on each connect); resolves once the list is applied. */
  async refreshBlocks(): Promise<string[]> {
    const reply = await this.request({ action: "blocks" });
    if (reply.type !== "blocks") throw new RequestError("internal", `unexpected ${reply.type}`);
    return reply.users;
  }

  /**
   * Best effort at sign-out: asks the server to forget this device (its keys and inbox; its
   * contacts hear of it). Resolves whatever the answer, within `timeoutMs`.
   */
  async removeDevice(timeoutMs = 5_000): Promise<void> {
    const encryption = this.options.encryption;
    if (encryption === undefined) return;
    await this.request({ action: "removeDevice", device: encryption.deviceId }, timeoutMs).catch((error: unknown) => {
      console.warn("parley encryption: the server did not remove this device:", error);
    });
  }

  /** A user's devices, as this device last learnt them (none without encryption). */
  devices(user: string): Promise<DeviceInfo[]> {
    return this.options.encryption?.devices(user) ?? Promise.resolve([]);
  }

  /** Verifying devices by comparing emojis (verification.ts); none without encryption. */
  get verifications(): DeviceVerifier | undefined {
    return this.options.encryption?.verifications;
  }

  /** Stored messages in seq order, those past their `expiresAt` left out (even before the alarm deletes them). */
  async history(conversation: ConversationId, options?: { beforeSeq?: number; limit?: number }): Promise<StoredMessage[]> {
    const now = this.clock.now();
    return (await this.options.store.listMessages(conversation, options)).filter((m) => !isExpired(m, now));
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
    const encryption = this.options.encryption;
    if (encryption === undefined) await this.sync.onOpen();
    else {
      // The to-device inbox first (its `toDeviceSynced` starts the message sync); keys go up
      // beside it. Should the inbox never answer, the messages sync anyway.
      this.messagesSyncing = false;
      this.connection.send({ action: "toDeviceSync" });
      encryption.connected(this.keys).catch((error: unknown) => console.warn("parley encryption: connecting:", error));
      const connection = this.connection;
      this.clock.setTimeout(() => {
        if (connection.isOpen && !this.messagesSyncing) void this.enqueue(() => this.startMessageSync());
      }, 15_000);
    }
    this.outbox.onOpen();
    this.presence.onOpen();
    // Not awaited: the reply is handled by this same chain of frames. A failed listing is
    // asked again on the next connect.
    this.refreshChats().catch(() => {});
    this.refreshBlocks().catch(() => {});
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
      case "skip":
        await this.sync.accept({ conversation: frame.conversation, seq: frame.seq, messageId: "", id: "", from: "", ts: 0, own: false, skipped: true });
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
          this.presence.onError(frame.id);
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
      case "blocked":
        // This device's answer, or (without `id`) another device of this user's, live.
        if (this.blockList.apply(frame.user, frame.blocked)) this.emit((l) => l.blocks?.(this.blockList.list()));
        if (frame.id !== undefined) this.settle(frame.id, frame);
        return;
      case "blocks":
        this.blockList.replace(frame.users);
        this.emit((l) => l.blocks?.(this.blockList.list()));
        this.settle(frame.id, frame);
        return;
      case "presence":
        this.presence.onPresence(frame);
        if (frame.id !== undefined) this.settle(frame.id, frame);
        return;
      case "pong":
        // The keepalive's answer: receiving it was the point.
        return;
      case "keys":
        this.onKeysPart(frame);
        return;
      case "keysUploaded":
        this.settle(frame.id, frame);
        this.keyWork((e) => e.counts(frame.oneTimeKeyCounts, frame.unusedFallbackKeys));
        return;
      case "toDevice":
        this.keyWork((e) => e.receive(frame.messages));
        return;
      case "toDeviceSynced":
        this.keyWork(async (e) => {
          const inbound = await e.counts(frame.oneTimeKeyCounts, frame.unusedFallbackKeys);
          if (frame.more) this.connection.send({ action: "toDeviceSync" });
          else if (!this.messagesSyncing) void this.enqueue(() => this.startMessageSync());
          return inbound;
        });
        return;
      case "toDeviceAcked":
        this.keyWork((e) => e.counts(frame.oneTimeKeyCounts, frame.unusedFallbackKeys));
        return;
      case "deviceChanged": {
        // A contact's device list changed (a device added or removed): their devices are
        // asked for again before the next send to them.
        const user = frame.user;
        this.keyWork(async (e) => {
          await e.changed([user]);
          return { acks: [], sessionIds: [] };
        });
        return;
      }
      default:
        if ("id" in frame && frame.id !== undefined) this.settle(frame.id, frame);
    }
  }

  private async startMessageSync(): Promise<void> {
    if (this.messagesSyncing || !this.connection.isOpen) return;
    this.messagesSyncing = true;
    await this.sync.onOpen();
  }

  /** A part of a `keys` answer: the last one (`more: false`) settles the request with them all. */
  private onKeysPart(frame: FrameOf<"keys">): void {
    const devices = { ...(this.keyParts.get(frame.id) ?? {}), ...frame.devices };
    if (frame.more) {
      if (this.pending.has(frame.id)) this.keyParts.set(frame.id, devices);
      return;
    }
    this.keyParts.delete(frame.id);
    this.settle(frame.id, { ...frame, devices });
  }

  /**
   * Runs the engine's `work` beside the chain of frames (it may wait on the engine while a
   * send holds it for a key exchange whose replies come through the chain), then acks what
   * it fed and decrypts what its room keys unlock.
   */
  private keyWork(work: (encryption: MessageEncryption) => Promise<Inbound>): void {
    const encryption = this.options.encryption;
    if (encryption === undefined) return;
    this.keyChain = this.keyChain
      .then(async () => {
        const inbound = await work(encryption);
        for (let i = 0; i < inbound.acks.length; i += 100) {
          this.connection.send({ action: "toDeviceAck", ids: inbound.acks.slice(i, i + 100) });
        }
        if (inbound.sessionIds.length > 0) void this.enqueue(() => this.retryWaiting(new Set(inbound.sessionIds)));
        // New counts may call for more one-time keys.
        if (this.connection.isOpen) await encryption.exchange(this.keys);
      })
      .catch((error: unknown) => console.warn("parley encryption:", error));
  }

  /** Encrypts a stored send before it first goes out (the outbox's `prepare`). */
  private async seal(record: OutboxRecord): Promise<Pick<OutboxRecord, "frame" | "plain"> | undefined> {
    const encryption = this.options.encryption;
    const frame = record.frame;
    const attachment = record.plain?.attachment;
    if (encryption === undefined || (frame.body === undefined && attachment === undefined) || frame.encrypted !== undefined) return { frame };
    if (!this.connection.isOpen) return undefined;
    const me = this.options.userId;
    let conversation: string;
    let members: string[];
    if (frame.toUser !== undefined) {
      conversation = directConversation(me, frame.toUser);
      members = [me, frame.toUser];
    } else {
      conversation = frame.conversation ?? "";
      members = (await this.options.store.getConversation(conversation))?.members ?? [];
      if (members.length === 0) throw new Error(`the members of ${conversation} are not known yet`);
    }
    const content: Record<string, unknown> = {};
    if (frame.body !== undefined) content.body = frame.body;
    if (attachment !== undefined) content.attachment = attachment;
    const { body, ...rest } = frame;
    const sealed: OutboxRecord["frame"] = { ...rest };
    if (frame.replyTo?.preview !== undefined) {
      // The quote's text is the conversation's too: it goes inside, not beside, the ciphertext.
      content.replyPreview = frame.replyTo.preview;
      sealed.replyTo = { seq: frame.replyTo.seq };
    }
    const encrypted = await encryption.seal(this.keys, conversation, members, content);
    if (encrypted === undefined) return { frame };
    const plain: NonNullable<OutboxRecord["plain"]> = {};
    if (body !== undefined) plain.body = body;
    if (typeof content.replyPreview === "string") plain.replyPreview = content.replyPreview;
    return { frame: { ...sealed, encrypted }, plain };
  }

  /**
   * A synced state with its encrypted edit and reactions read (`body` "" beside `encrypted`,
   * docs/protocol.md): an edit is its author's, a reaction its user's. The entries' own ids
   * are not in the state: each is opened under one derived from its seq. One that does not
   * decrypt keeps its empty body.
   */
  private async openSnapshot(conversation: ConversationId, author: string, ts: number, state: MessageState): Promise<MessageState> {
    const encryption = this.options.encryption;
    if (encryption === undefined) return state;
    const open = async (from: string, seq: number, at: number, encrypted: string, fallback: string): Promise<string> => {
      const result = await encryption.open(conversation, from, snapshotEntryId(conversation, seq), at, encrypted);
      return result.kind === "decrypted" && typeof result.content.body === "string" ? result.content.body : fallback;
    };
    const next: MessageState = { ...state };
    if (state.edited?.encrypted !== undefined) {
      next.edited = { ...state.edited, body: await open(author, state.edited.seq, state.edited.ts, state.edited.encrypted, state.edited.body) };
    }
    if (state.reactions !== undefined) {
      const reactions: NonNullable<MessageState["reactions"]> = {};
      for (const [user, reaction] of Object.entries(state.reactions)) {
        reactions[user] = reaction.encrypted === undefined ? reaction : { ...reaction, body: await open(user, reaction.seq, ts, reaction.encrypted, reaction.body) };
      }
      next.reactions = reactions;
    }
    return next;
  }

  /** Decrypts messages stored `sealed` whose room key (one of `sessionIds`) came. */
  private async retryWaiting(sessionIds: Set<string>): Promise<void> {
    const encryption = this.options.encryption;
    if (encryption === undefined) return;
    const store = this.options.store;
    const opened: StoredMessage[] = [];
    for (const { conversation, seq } of await store.listWaiting()) {
      const message = await store.getMessage(conversation, seq);
      const sealed = message?.sealed;
      if (message === undefined || sealed === undefined) {
        await store.deleteWaiting(conversation, seq);
        continue;
      }
      if (sealed.sessionId !== undefined && !sessionIds.has(sealed.sessionId)) continue;
      const result = await encryption.open(conversation, message.from, message.messageId, message.ts, sealed.encrypted);
      if (result.kind === "missingKey") continue;
      applyDecryption(message, result, sealed.encrypted, encryption.createdAt);
      await store.putMessage(message);
      await store.deleteWaiting(conversation, seq);
      opened.push(message);
    }
    if (opened.length > 0) this.emit((l) => opened.forEach((m) => l.message?.(m)));
  }

  /** Deletes the stored messages whose time ran out, tells the UI, and sets the alarm for the next. */
  private async purgeExpired(): Promise<void> {
    const gone = await this.options.store.deleteExpired(this.clock.now());
    this.expiry.at(await this.options.store.nextExpiry());
    if (gone.length > 0) this.emit((l) => l.expired?.(gone));
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
      ...(frame.kind === "timer" ? { seconds: frame.seconds ?? 0 } : {}),
      ...(frame.expiresAt !== undefined ? { expiresAt: frame.expiresAt } : {}),
    };
    if (frame.encrypted !== undefined) {
      const encryption = this.options.encryption;
      const result: Decryption = encryption === undefined
        ? { kind: "undecryptable", reason: "this client does not decrypt" }
        : await encryption.open(frame.conversation, frame.from, frame.messageId, frame.ts, frame.encrypted);
      applyDecryption(stored, result, frame.encrypted, encryption?.createdAt ?? Infinity);
    }
    if (frame.state !== undefined) {
      stored.state = applySnapshot(emptyState(), await this.openSnapshot(frame.conversation, frame.from, frame.ts, frame.state));
    }
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
    const timer = sent.kind === "timer";
    const quoted = sent.replyTo !== undefined ? await this.options.store.getMessage(frame.conversation, sent.replyTo.seq) : undefined;
    // An encrypted reply's quote went inside the ciphertext, kept beside it for this copy.
    const preview = sent.replyTo?.preview ?? record.plain?.replyPreview;
    const stored: StoredMessage = {
      conversation: frame.conversation,
      seq: frame.seq,
      messageId: frame.messageId,
      id: frame.id,
      from: this.options.userId,
      ts: frame.ts,
      own: true,
      // A change entry has no tick: it is never shown as a message; nor has a timer's line.
      ...(change
        ? { kind: sent.kind!, target: sent.target! }
        : timer
          ? { kind: "timer" as const, seconds: sent.seconds ?? 0 }
          : { tick: "sent" as const, recipients: conversation.members.filter((m) => m !== this.options.userId) }),
      ...(sent.encrypted !== undefined ? { encrypted: true } : {}),
      ...(record.plain?.body !== undefined ? { body: record.plain.body } : {}),
      ...(sent.body !== undefined ? { body: sent.body } : {}),
      ...(sent.attachment !== undefined ? { attachment: record.plain?.attachment ?? sent.attachment } : {}),
      ...(sent.replyTo !== undefined ? { replyTo: { ...sent.replyTo, ...(preview !== undefined ? { preview } : {}), from: quoted?.from ?? "" } } : {}),
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
      if (message.skipped === true) {
        // A blocked user's entry: its seq is taken, nothing is stored, shown or acked for it.
        record.lastSeq = Math.max(record.lastSeq, message.seq);
        continue;
      }
      if (!message.own) record.deliveredMark = Math.max(record.deliveredMark, message.seq);
      record.lastSeq = Math.max(record.lastSeq, message.seq);
      if (message.kind === "timer") {
        record.timer = message.seconds ?? 0;
        record.timerSeq = message.seq;
      } else if (message.own && message.expiresAt === undefined && message.system === undefined) {
        // This device's own send, stored from its `sent`: under the timer its seq came after.
        const expiresAt = expiryOf(message.ts, record.timer);
        if (expiresAt !== undefined) message.expiresAt = expiresAt;
      } else if (!message.own && message.system === undefined && record.timerSeq === undefined) {
        // No timer entry seen (set before this device's history began): what the server put
        // on the others' messages says what is in force (a 90-day timer reads as the 30 days
        // it amounts to).
        record.timer = message.expiresAt !== undefined ? message.expiresAt / 1000 - Math.floor(message.ts / 1000) : 0;
      }
      if (message.kind !== undefined && message.target !== undefined) {
        const target = await this.applyChange(message, { kind: message.kind, target: message.target });
        if (target !== undefined) shown.set(target.seq, target);
        continue;
      }
      for (const change of await this.options.store.takePendingChanges(message.conversation, message.seq)) {
        foldChange(message, change);
      }
      if (message.system !== undefined) applySystem(record, message);
      if (message.system?.event === "removed" || message.system?.event === "left") {
        // The library would rotate anyway once they are missing from the members it is
        // given; dropping the room key now makes sure (memo §0.6).
        const conversation = message.conversation;
        this.keyWork(async (e) => {
          await e.forget(conversation);
          return { acks: [], sessionIds: [] };
        });
      }
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
      // Gone already (it came late, or this device was away): its seq is taken, nothing kept.
      if (isExpired(message, this.clock.now())) continue;
      await this.options.store.putMessage(message);
      shown.set(message.seq, message);
      this.expiry.at(message.expiresAt);
      if (message.sealed !== undefined && message.sealed.state !== "undecryptable") {
        await this.options.store.putWaiting(message.conversation, message.seq);
      }
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
 * A decryption's outcome into the stored message: the text, or why there is none yet. A
 * missing key for a message older than this device means it was never shared with it.
 */
function applyDecryption(message: StoredMessage, result: Decryption, encrypted: string, deviceCreatedAt: number): void {
  message.encrypted = true;
  delete message.sealed;
  switch (result.kind) {
    case "decrypted": {
      const body = result.content.body;
      if (typeof body === "string") message.body = body;
      const preview = result.content.replyPreview;
      if (typeof preview === "string" && message.replyTo !== undefined) message.replyTo = { ...message.replyTo, preview };
      const inner = sealedAttachment(result.content.attachment);
      // Only the file the server holds under the key the message names (memo §8).
      if (inner !== undefined && inner.key === message.attachment?.key) message.attachment = inner;
      return;
    }
    case "missingKey":
      message.sealed = {
        state: message.ts < deviceCreatedAt ? "beforeDevice" : "waiting",
        encrypted,
        ...(result.sessionId !== undefined ? { sessionId: result.sessionId } : {}),
      };
      return;
    case "mismatchedSender":
      message.sealed = { state: "undecryptable", encrypted, reason: `not sent by ${result.claimed}` };
      return;
    case "undecryptable":
      message.sealed = { state: "undecryptable", encrypted, reason: result.reason };
      return;
  }
}

/** The name and type an encrypted file is uploaded under: the real ones are inside the message. */
export const SEALED_FILE_NAME = "file";
export const SEALED_FILE_TYPE = "application/octet-stream";

/** An attachment with its key, as a decrypted message carries it; undefined if malformed. */
function sealedAttachment(value: unknown): SealedAttachment | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const a = value as Record<string, unknown>;
  const ok = typeof a.key === "string" && typeof a.name === "string" && typeof a.contentType === "string" &&
    typeof a.size === "number" && typeof a.file === "object" && a.file !== null;
  return ok ? { key: a.key as string, name: a.name as string, contentType: a.contentType as string, size: a.size as number, file: a.file as Record<string, unknown> } : undefined;
}

/** Whether an attachment is an encrypted file (its bytes need `fetchSealedFile`). */
export function isSealed(attachment: Attachment | SealedAttachment): attachment is SealedAttachment {
  return "file" in attachment && typeof attachment.file === "object";
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
