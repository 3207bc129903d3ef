/**
 * The outbox: every send is stored first (so a reload or a crash loses nothing), then sent, and
 * sent again with the same `id` until the server answers `sent` or a final error. The server
 * answers a retried `id` with the very same `sent` and stores nothing new, so retrying is
 * always safe; what the outbox must never do is mint a new id for the same message.
 *
 * - Sends to one conversation go one at a time, oldest first: the server runs frames
 *   concurrently, so pipelining two sends into one conversation could swap their seqs.
 * - No reply within `replyTimeoutMs` (a lost frame, or API Gateway's "Internal server error",
 *   which names no id): send again.
 * - `rate_limited` / `internal`: send again after a backoff. `unauthorized`: the connection
 *   reconnects with a fresh token and the send goes again on open.
 * - A final error (`bad_request`, `forbidden`, `not_found`, `too_large`) marks it failed; it
 *   stays in the store for the UI to show (and discard).
 * - With `prepare` (end-to-end encryption), a send is prepared once before it first goes out:
 *   its frame replaced (the body encrypted) and stored, so every retry sends the very same
 *   ciphertext under the same id. A preparation that cannot run now (offline) waits for the
 *   next open; one that fails is tried again after a backoff.
 */
import { Backoff } from "./backoff";
import type { Clock, TimerHandle } from "./clock";
import { isFinalError, type ErrorFrame, type Send, type SentFrame } from "./protocol";
import type { ClientStore, OutboxRecord } from "./store";

export type SendInput = Omit<Send, "id">;

export interface OutboxOptions {
  store: ClientStore;
  clock: Clock;
  newId: () => string;
  /** Hands a frame to the connection; false when it is not open. */
  transmit: (frame: OutboxRecord["frame"]) => boolean;
  onChange?: (record: OutboxRecord, change: "queued" | "failed" | "removed") => void;
  replyTimeoutMs?: number;
  random?: () => number;
  /**
   * Makes a stored send ready to go (encrypts it): the frame (and local-only fields) to
   * store and send from now on, or undefined when it cannot be done now (not connected).
   */
  prepare?: (record: OutboxRecord) => Promise<Pick<OutboxRecord, "frame" | "plain"> | undefined>;
}

interface Flight {
  timer: TimerHandle | null;
}

export class Outbox {
  private records: OutboxRecord[] = [];
  /** Ids on the wire, awaiting a reply. */
  private readonly inFlight = new Map<string, Flight>();
  /** Ids waiting out a backoff after a transient error. */
  private readonly backingOff = new Map<string, { timer: TimerHandle; backoff: Backoff }>();
  private readonly backoffs = new Map<string, Backoff>();
  /** Ids being prepared. */
  private readonly preparing = new Set<string>();
  private readonly replyTimeoutMs: number;
  private loaded = false;

  constructor(private readonly options: OutboxOptions) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
  }

  /** Reads what a previous page load left unsent. */
  async load(): Promise<void> {
    this.records = await this.options.store.listOutbox();
    this.loaded = true;
  }

  list(): readonly OutboxRecord[] {
    return this.records;
  }

  /** Stores the send, then sends it if the connection is open. */
  async enqueue(input: SendInput, plain?: OutboxRecord["plain"]): Promise<OutboxRecord> {
    if (!this.loaded) await this.load();
    const id = this.options.newId();
    const record: OutboxRecord = {
      id,
      frame: { action: "send", id, ...input },
      createdAt: this.options.clock.now(),
      state: "pending",
      ...(plain !== undefined ? { plain } : {}),
    };
    await this.options.store.putOutbox(record);
    this.records.push(record);
    this.options.onChange?.(record, "queued");
    this.pump();
    return record;
  }

  /** The connection opened: everything not answered goes (again). */
  onOpen(): void {
    this.pump();
  }

  /** The connection closed: nothing is on the wire any more. */
  onClose(): void {
    for (const flight of this.inFlight.values()) {
      if (flight.timer !== null) this.options.clock.clearTimeout(flight.timer);
    }
    this.inFlight.clear();
  }

  /** A `sent` for one of ours: returns its record (now removed), or undefined if not ours. */
  async onSent(frame: SentFrame): Promise<OutboxRecord | undefined> {
    const record = this.records.find((r) => r.id === frame.id);
    if (record === undefined) return undefined;
    this.settle(record.id);
    this.records = this.records.filter((r) => r.id !== record.id);
    await this.options.store.deleteOutbox(record.id);
    this.options.onChange?.(record, "removed");
    this.pump();
    return record;
  }

  /** An `error` naming one of ours. */
  async onError(frame: ErrorFrame): Promise<void> {
    const record = this.records.find((r) => r.id === frame.id);
    if (record === undefined || record.state === "failed") return;
    const flight = this.inFlight.get(record.id);
    if (flight?.timer != null) this.options.clock.clearTimeout(flight.timer);
    this.inFlight.delete(record.id);
    if (isFinalError(frame.code)) {
      this.settle(record.id);
      record.state = "failed";
      record.error = { code: frame.code, message: frame.message };
      await this.options.store.putOutbox(record);
      this.options.onChange?.(record, "failed");
      this.pump();
      return;
    }
    if (frame.code === "unauthorized") return; // sent again once the connection reopens
    // rate_limited, internal: the same id again, later.
    this.later(record);
  }

  /** Pumps `record` again after its backoff. */
  private later(record: OutboxRecord): void {
    let backoff = this.backoffs.get(record.id);
    if (backoff === undefined) {
      backoff = new Backoff({ baseMs: 1_000, capMs: 60_000, ...(this.options.random ? { random: this.options.random } : {}) });
      this.backoffs.set(record.id, backoff);
    }
    const timer = this.options.clock.setTimeout(() => {
      this.backingOff.delete(record.id);
      this.pump();
    }, backoff.next());
    this.backingOff.set(record.id, { timer, backoff });
  }

  /** Removes a failed send (the UI discarded it). */
  async discard(id: string): Promise<void> {
    const record = this.records.find((r) => r.id === id);
    if (record === undefined) return;
    this.settle(id);
    this.records = this.records.filter((r) => r.id !== id);
    await this.options.store.deleteOutbox(id);
    this.options.onChange?.(record, "removed");
  }

  private settle(id: string): void {
    const flight = this.inFlight.get(id);
    if (flight?.timer != null) this.options.clock.clearTimeout(flight.timer);
    this.inFlight.delete(id);
    const waiting = this.backingOff.get(id);
    if (waiting !== undefined) this.options.clock.clearTimeout(waiting.timer);
    this.backingOff.delete(id);
    this.backoffs.delete(id);
  }

  /** Sends the oldest pending send of every conversation that has nothing on the wire. */
  private pump(): void {
    const busy = new Set<string>();
    for (const record of this.records) {
      if (record.state === "failed") continue;
      const target = targetOf(record);
      if (busy.has(target)) continue;
      busy.add(target);
      if (this.inFlight.has(record.id) || this.backingOff.has(record.id) || this.preparing.has(record.id)) continue;
      if (this.options.prepare !== undefined && record.prepared !== true) {
        this.prepare(record, this.options.prepare);
        continue;
      }
      if (!this.options.transmit(record.frame)) return; // not connected: onOpen pumps again
      const timer = this.options.clock.setTimeout(() => {
        // No reply: the frame or its answer was lost. Send the same id again.
        this.inFlight.delete(record.id);
        this.pump();
      }, this.replyTimeoutMs);
      this.inFlight.set(record.id, { timer });
    }
  }

  private prepare(record: OutboxRecord, prepare: NonNullable<OutboxOptions["prepare"]>): void {
    this.preparing.add(record.id);
    const current = () => this.records.includes(record);
    prepare(record).then(
      async (ready) => {
        if (ready !== undefined && current()) {
          record.frame = ready.frame;
          if (ready.plain !== undefined) record.plain = { ...record.plain, ...ready.plain };
          record.prepared = true;
          await this.options.store.putOutbox(record);
        }
        this.preparing.delete(record.id);
        if (ready !== undefined) this.pump();
      },
      (error: unknown) => {
        console.warn("parley outbox: could not prepare a send:", error);
        this.preparing.delete(record.id);
        if (current()) this.later(record);
      },
    );
  }
}

function targetOf(record: OutboxRecord): string {
  return record.frame.conversation !== undefined ? `c:${record.frame.conversation}` : `u:${record.frame.toUser ?? ""}`;
}
