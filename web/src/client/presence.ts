/**
 * Watching a user's presence while their chat is open (docs/protocol.md "Presence"): `presence
 * {user, watch: true}` answers the state now and makes this connection a watcher for 5
 * minutes, during which the server posts `presence {user, online, lastSeen?}` (no `id`) when
 * the user comes online or goes offline. A watch is kept by asking again every 4 minutes, is
 * made again on every new connection (a watcher is a connection), and is ended with `watch:
 * false` when the last viewer stops. Nothing here is stored: presence is only ever live.
 *
 * The server runs each frame of a connection as an invocation of its own, concurrently: a
 * `watch: false` followed at once by a `watch: true` for the same user (a chat closed and
 * opened again, or its view remounted) may be applied in either order, and a late `watch:
 * false` would leave the open chat watching nothing. So a new watch waits for the answer to
 * the `watch: false` still in flight before it asks; and only the answer to a watch's latest
 * ask (or a change posted, which has no `id`) sets its state: the answer to a `watch: false`
 * (no state) or to an earlier ask is stale.
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
  /** The id of the latest `watch: true` sent on this connection; its answer alone counts. */
  asked: string | undefined;
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
  /** Users whose `watch: false` is in flight on this connection: the request's id. */
  private readonly unwatching = new Map<string, string>();

  constructor(private readonly options: PresenceOptions) {}

  /** Starts (or joins) watching `user`; the listener hears the state now and each change. */
  watch(user: string, listener: Listener): () => void {
    let watch = this.watches.get(user);
    if (watch === undefined) {
      watch = { listeners: new Set(), state: { kind: "unknown" }, timer: null, asked: undefined };
      this.watches.set(user, watch);
      this.ask(user, watch);
    }
    watch.listeners.add(listener);
    listener(watch.state);
    return () => this.unwatch(user, listener);
  }

  /** A presence frame arrived (an answer, or a change posted to this watcher). */
  onPresence(frame: FrameOf<"presence">): void {
    if (frame.id !== undefined && this.settleUnwatch(frame.id)) return;
    const watch = this.watches.get(frame.user);
    if (watch === undefined) return;
    if (frame.id !== undefined && frame.id !== watch.asked) return;
    watch.state = presenceOf(frame);
    for (const listener of watch.listeners) listener(watch.state);
  }

  /** A request was refused (`error` with its id): a refused `watch: false` is over too. */
  onError(id: string): void {
    this.settleUnwatch(id);
  }

  onOpen(): void {
    // A new connection watches nothing yet: no earlier `watch: false` can come after these.
    this.unwatching.clear();
    for (const [user, watch] of this.watches) this.ask(user, watch);
  }

  onClose(): void {
    this.unwatching.clear();
    for (const watch of this.watches.values()) {
      if (watch.timer !== null) this.options.clock.clearTimeout(watch.timer);
      watch.timer = null;
    }
  }

  /** Users watched now (for tests and diagnostics). */
  watched(): string[] {
    return [...this.watches.keys()];
  }

  /**
   * Ends the `watch: false` whose answer (or refusal) `id` is, if it is one; a watch made
   * meanwhile asks now. Whether `id` was such a request.
   */
  private settleUnwatch(id: string): boolean {
    const user = [...this.unwatching].find(([, pending]) => pending === id)?.[0];
    if (user === undefined) return false;
    this.unwatching.delete(user);
    const watch = this.watches.get(user);
    if (watch !== undefined) this.ask(user, watch);
    return true;
  }

  private ask(user: string, watch: Watch): void {
    if (watch.timer !== null) this.options.clock.clearTimeout(watch.timer);
    watch.timer = null;
    watch.asked = undefined;
    // Asked once the `watch: false` before it is answered (settleUnwatch).
    if (this.unwatching.has(user)) return;
    const id = this.options.newId();
    const sent = this.options.transmit({ action: "presence", id, user, watch: true });
    if (!sent) return;
    watch.asked = id;
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
    // Never asked on this connection (it waited for an earlier `watch: false`, or was made
    // offline): there is nothing to end.
    if (watch.asked === undefined) return;
    const id = this.options.newId();
    if (this.options.transmit({ action: "presence", id, user, watch: false })) this.unwatching.set(user, id);
  }
}
