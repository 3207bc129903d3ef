/**
 * Sync and in-order delivery.
 *
 * Every message, live or synced (and one's own, once `sent` gives it a seq), goes through
 * `accept`. Per conversation the app sees seqs in order, each once:
 * - a seq at or below the last delivered one is a repeat (sync repeats up to 30 s of messages,
 *   and live and synced copies cross) and is dropped: de-duplication by (conversation, seq);
 * - the next seq is delivered, with whatever it unblocks from the buffer;
 * - a later seq is a gap: it waits in the buffer and a `sync` from the stored cursor fetches
 *   what is missing.
 * `sync` runs on every connect and pages on while `more: true`. When a sync ends and gaps are
 * left that the sync could not fill, the missing seqs are not in this user's mailbox (a member
 * added later starts at the `added` message; older messages expired after 30 days), so the
 * buffer is delivered as it is. A gap that appeared while a sync was running (the sync may have
 * read past the missing messages' place before they were stored) gets one more sync first.
 *
 * The cursor is stored only from `synced` and only when nothing is buffered, so a reload
 * never skips a message that was held back in memory. Callers serialize calls (one frame at a
 * time), so the async store reads never interleave.
 */
import type { ClientFrame, ConversationId, FrameOf } from "./protocol";
import type { ClientStore, StoredMessage } from "./store";

export interface SyncOptions {
  store: ClientStore;
  transmit: (frame: ClientFrame) => boolean;
  /** Hands messages to the app, in seq order per conversation; must record their seqs. */
  deliver: (messages: StoredMessage[]) => Promise<void>;
  pageSize?: number;
}

export class Sync {
  private syncing = false;
  private gapDuringSync = false;
  private readonly buffers = new Map<ConversationId, Map<number, StoredMessage>>();
  private readonly lastSeqs = new Map<ConversationId, number>();
  private readonly pageSize: number;

  constructor(private readonly options: SyncOptions) {
    this.pageSize = options.pageSize ?? 100;
  }

  get isSyncing(): boolean {
    return this.syncing;
  }

  /** Messages held back behind a gap (for tests and diagnostics). */
  bufferedCount(): number {
    let n = 0;
    for (const buffer of this.buffers.values()) n += buffer.size;
    return n;
  }

  async onOpen(): Promise<void> {
    this.syncing = false;
    await this.start();
  }

  onClose(): void {
    // The page in progress is lost with the socket; the next open syncs again.
    this.syncing = false;
  }

  /** Sync now unless a sync is running. */
  async requestSync(): Promise<void> {
    if (!this.syncing) await this.start();
  }

  async accept(message: StoredMessage): Promise<void> {
    const last = await this.lastSeq(message.conversation);
    if (message.seq <= last) return;
    if (message.seq === last + 1) {
      await this.deliverFrom(message.conversation, [message]);
      return;
    }
    let buffer = this.buffers.get(message.conversation);
    if (buffer === undefined) {
      buffer = new Map();
      this.buffers.set(message.conversation, buffer);
    }
    // A repeat of a held-back message is no news: it must not ask for another sync, or a gap
    // the mailbox cannot fill would be synced for ever.
    const news = !buffer.has(message.seq);
    buffer.set(message.seq, message);
    if (this.syncing) this.gapDuringSync ||= news;
    else await this.start();
  }

  async onSynced(frame: FrameOf<"synced">): Promise<void> {
    if (frame.more) {
      if (this.buffers.size === 0) await this.options.store.setCursor(frame.cursor);
      this.syncing = this.options.transmit({ action: "sync", cursor: frame.cursor, limit: this.pageSize });
      return;
    }
    this.syncing = false;
    if (this.gapDuringSync && this.buffers.size > 0) {
      this.gapDuringSync = false;
      await this.start();
      return;
    }
    this.gapDuringSync = false;
    await this.flushAll();
    await this.options.store.setCursor(frame.cursor);
  }

  private async start(): Promise<void> {
    const cursor = await this.options.store.getCursor();
    this.gapDuringSync = false;
    this.syncing = this.options.transmit({
      action: "sync",
      ...(cursor !== undefined ? { cursor } : {}),
      limit: this.pageSize,
    });
  }

  private async lastSeq(conversation: ConversationId): Promise<number> {
    let last = this.lastSeqs.get(conversation);
    if (last === undefined) {
      last = (await this.options.store.getConversation(conversation))?.lastSeq ?? 0;
      this.lastSeqs.set(conversation, last);
    }
    return last;
  }

  /** Delivers `first` and every buffered seq that follows it without a gap. */
  private async deliverFrom(conversation: ConversationId, first: StoredMessage[]): Promise<void> {
    const run = [...first];
    const buffer = this.buffers.get(conversation);
    let next = (run[run.length - 1]?.seq ?? 0) + 1;
    while (buffer?.has(next)) {
      run.push(buffer.get(next)!);
      buffer.delete(next);
      next++;
    }
    if (buffer !== undefined) {
      // Anything at or below what is now delivered was a repeat.
      for (const seq of [...buffer.keys()]) if (seq < next) buffer.delete(seq);
      if (buffer.size === 0) this.buffers.delete(conversation);
    }
    this.lastSeqs.set(conversation, next - 1);
    await this.options.deliver(run);
  }

  /** After a complete sync: what is still behind a gap will not come, so deliver it. */
  private async flushAll(): Promise<void> {
    for (const [conversation, buffer] of [...this.buffers]) {
      const ordered = [...buffer.values()].sort((a, b) => a.seq - b.seq);
      this.buffers.delete(conversation);
      if (ordered.length > 0) {
        this.lastSeqs.set(conversation, ordered[ordered.length - 1]!.seq);
        await this.options.deliver(ordered);
      }
    }
  }
}
