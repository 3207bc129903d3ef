/**
 * Watching a user's presence while their chat is open (docs/protocol.md "Presence"): `presence
 * {user, watch: true}` answers the state now and makes this connection a watcher for 5
 * minutes, during which the server posts `presence {user, online, lastSeen?}` (no `id`) when
 * the user comes online or goes offline. A watch is kept by asking again every 4 minutes, is
 * made again on every new connection (a watcher is a connection), and is ended with `watch:
 * false` when the last viewer stops. Nothing here is stored: presence is only ever live.
 */
import type { Clock, TimerHandle } from "./clock";
import type { ClientFrame, FrameOf } from "./protocol";

/** The server keeps a watch 5 minutes; it is renewed a minute before. */
export const PRESENCE_RENEW_MS = 4 * 60_000;

/** What is known of a user's presence: `hidden` when their privacy (or ours) hides it. */
export type PresenceState =
  | { kind: "unknown" }
  | { kind: "hidden" }
  | { kind: "online" }
  | { kind: "offline"; lastSeen?: number };

type Listener = (state: PresenceState) => void;

interface Watch {
  listeners: Set<Listener>;
  state: PresenceState;
  timer: TimerHandle | null;
}

export interface PresenceOptions {
  clock: Clock;
  /** Sends a frame if connected; false when not (the watch is made on the next open). */
  transmit: (frame: ClientFrame) => boolean;
  newId: () => string;
}

export function presenceOf(frame: FrameOf<"presence">): PresenceState {
  if (frame.online === true) return { kind: "online" };
  if (frame.online === false) return frame.lastSeen !== undefined ? { kind: "offline", lastSeen: frame.lastSeen } : { kind: "offline" };
  return { kind: "hidden" };
}

export class PresenceWatcher {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly options: PresenceOptions) {}

  /** Starts (or joins) watching `user`; the listener hears the state now and each change. */
  watch(user: string, listener: Listener): () => void {
    let watch = this.watches.get(user);
    if (watch === undefined) {
      watch = { listeners: new Set(), state: { kind: "unknown" }, timer: null };
      this.watches.set(user, watch);
      this.ask(user, watch);
    }
    watch.listeners.add(listener);
    listener(watch.state);
    return () => this.unwatch(user, listener);
  }

  /** A presence frame arrived (an answer, or a change posted to this watcher). */
  onPresence(frame: FrameOf<"presence">): void {
    const watch = this.watches.get(frame.user);
    if (watch === undefined) return;
    watch.state = presenceOf(frame);
    for (const listener of watch.listeners) listener(watch.state);
  }

  onOpen(): void {
    for (const [user, watch] of this.watches) this.ask(user, watch);
  }

  onClose(): void {
    for (const watch of this.watches.values()) {
      if (watch.timer !== null) this.options.clock.clearTimeout(watch.timer);
      watch.timer = null;
    }
  }

  /** Users watched now (for tests and diagnostics). */
  watched(): string[] {
    return [...this.watches.keys()];
  }

  private ask(user: string, watch: Watch): void {
    if (watch.timer !== null) this.options.clock.clearTimeout(watch.timer);
    watch.timer = null;
    const sent = this.options.transmit({ action: "presence", id: this.options.newId(), user, watch: true });
    if (!sent) return;
    watch.timer = this.options.clock.setTimeout(() => {
      watch.timer = null;
      if (this.watches.get(user) === watch) this.ask(user, watch);
    }, PRESENCE_RENEW_MS);
  }

  private unwatch(user: string, listener: Listener): void {
    const watch = this.watches.get(user);
    if (watch === undefined) return;
    watch.listeners.delete(listener);
    if (watch.listeners.size > 0) return;
    this.watches.delete(user);
    if (watch.timer !== null) this.options.clock.clearTimeout(watch.timer);
    this.options.transmit({ action: "presence", id: this.options.newId(), user, watch: false });
  }
}
