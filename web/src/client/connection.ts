/**
 * One logical connection to the Parley WebSocket API, kept open across failures.
 *
 * - Connects to `websocketUrl?token=<JWT>`; the token comes from an injected provider (the auth
 *   module, which refreshes it before expiry).
 * - Reconnects after any close with exponential backoff and full jitter (reset once a socket
 *   opens).
 * - On an `unauthorized` error frame (the token expired mid-connection; the server closes the
 *   socket) it reconnects with a forced-fresh token. A browser cannot see the HTTP status of a
 *   refused handshake (401/403 surface only as a close before open), so a socket that closes
 *   before opening also makes the next attempt ask for a fresh token.
 * - API Gateway closes every connection 2 hours after it opened: the connection reconnects on
 *   its own a little before that (`maxAgeMs`), with a fresh token, so the close never comes
 *   as a surprise in the middle of a send.
 * - Idle: API Gateway closes a connection after 10 minutes without a frame, and browsers cannot
 *   send WebSocket pings (the API has no ping). So after `idleMs` (9 minutes) in which this
 *   client sent nothing, the connection sends the protocol's `ping`: a real frame that keeps the
 *   connection alive, answered by `pong` without any table read on the server. If the close
 *   happens anyway, the reconnect and the sync on connect cover it.
 *
 * The socket factory, clock and random source are injected for tests.
 */
import { Backoff } from "./backoff";
import type { Clock, TimerHandle } from "./clock";
import { encode, parseIncoming, type ClientFrame, type ServerFrame } from "./protocol";

/** What the connection needs of a WebSocket: the browser's `WebSocket` and Node's `ws` fit. */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

/** The browser's WebSocket (or any with the same shape, such as Node's `ws`) as a SocketLike. */
export function webSocketFactory(Ctor: new (url: string) => WebSocket = WebSocket): SocketFactory {
  return (url) => {
    const socket = new Ctor(url);
    const like: SocketLike = {
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
    };
    socket.onopen = (event) => like.onopen?.(event);
    socket.onmessage = (event) => like.onmessage?.({ data: event.data });
    socket.onclose = (event) => like.onclose?.({ code: event.code, reason: event.reason });
    socket.onerror = (event) => like.onerror?.(event);
    return like;
  };
}

/** Returns a current ID (or access) token; `forceRefresh` asks for a newly issued one. */
export type TokenProvider = (options: { forceRefresh: boolean }) => Promise<string>;

export interface ConnectionListener {
  open(): void;
  frame(frame: ServerFrame): void;
  /** A frame without `type`: API Gateway's own "Internal server error". */
  transient?(): void;
  close?(): void;
}

export type ConnectionState = "new" | "connecting" | "open" | "waiting" | "stopped";

export interface ConnectionOptions {
  url: string;
  socketFactory: SocketFactory;
  tokenProvider: TokenProvider;
  clock: Clock;
  listener: ConnectionListener;
  backoff?: Backoff;
  /** Reconnect this long after opening; below API Gateway's 2-hour limit. */
  maxAgeMs?: number;
  /** Send a `ping` after this long without an outgoing frame; below the 10-minute idle limit. */
  idleMs?: number;
  /** More query parameters of the handshake (`device`: the encrypting device's id). */
  query?: Record<string, string>;
}

export const DEFAULT_MAX_AGE_MS = 115 * 60 * 1000;
export const DEFAULT_IDLE_MS = 9 * 60 * 1000;

export class Connection {
  private socket: SocketLike | null = null;
  private generation = 0;
  private stateValue: ConnectionState = "new";
  private forceRefresh = false;
  private retryTimer: TimerHandle | null = null;
  private maxAgeTimer: TimerHandle | null = null;
  private idleTimer: TimerHandle | null = null;
  private readonly backoff: Backoff;
  private readonly maxAgeMs: number;
  private readonly idleMs: number;

  constructor(private readonly options: ConnectionOptions) {
    this.backoff = options.backoff ?? new Backoff({ baseMs: 500, capMs: 30_000 });
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get isOpen(): boolean {
    return this.stateValue === "open";
  }

  start(): void {
    if (this.stateValue !== "new" && this.stateValue !== "stopped") return;
    void this.connect();
  }

  stop(): void {
    this.stateValue = "stopped";
    this.generation++;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "stopped");
  }

  /** Sends a frame if the socket is open; false means it was not sent (the caller keeps it). */
  send(frame: ClientFrame): boolean {
    if (this.stateValue !== "open" || this.socket === null) return false;
    try {
      this.socket.send(encode(frame));
    } catch {
      return false;
    }
    this.armIdle();
    return true;
  }

  /** Drops the current socket and connects again now (e.g. the browser came back online). */
  reconnectNow(forceRefresh = false): void {
    if (this.stateValue === "stopped" || this.stateValue === "new") return;
    this.forceRefresh ||= forceRefresh;
    this.backoff.reset();
    this.dropSocket();
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.clearTimers();
    const generation = ++this.generation;
    this.stateValue = "connecting";
    let token: string;
    try {
      token = await this.options.tokenProvider({ forceRefresh: this.forceRefresh });
    } catch {
      if (generation === this.generation) this.scheduleRetry();
      return;
    }
    if (generation !== this.generation) return;
    this.forceRefresh = false;

    const url = new URL(this.options.url);
    url.searchParams.set("token", token);
    for (const [name, value] of Object.entries(this.options.query ?? {})) url.searchParams.set(name, value);
    let socket: SocketLike;
    try {
      socket = this.options.socketFactory(url.toString());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    let opened = false;

    socket.onopen = () => {
      if (generation !== this.generation) return;
      opened = true;
      this.stateValue = "open";
      this.backoff.reset();
      this.maxAgeTimer = this.options.clock.setTimeout(() => {
        if (generation === this.generation) this.reconnectNow(true);
      }, this.maxAgeMs);
      this.armIdle();
      this.options.listener.open();
    };
    socket.onmessage = (event) => {
      if (generation !== this.generation || typeof event.data !== "string") return;
      const incoming = parseIncoming(event.data);
      if (incoming.kind === "transient") this.options.listener.transient?.();
      if (incoming.kind !== "frame") return;
      const frame = incoming.frame;
      if (frame.type === "error" && frame.code === "unauthorized") {
        // The token expired: the server refuses every frame and closes. Reconnect with a
        // fresh one; the listener still sees the error (the outbox keeps the send pending).
        this.forceRefresh = true;
      }
      this.options.listener.frame(frame);
      if (frame.type === "error" && frame.code === "unauthorized" && generation === this.generation) {
        this.reconnectNow(true);
      }
    };
    socket.onerror = () => {
      // Always followed by onclose, which does the work.
    };
    socket.onclose = () => {
      if (generation !== this.generation) return;
      // A close before open is how a refused handshake (an expired or bad token) looks here.
      if (!opened) this.forceRefresh = true;
      this.socket = null;
      this.clearTimers();
      if (opened) this.options.listener.close?.();
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stateValue === "stopped") return;
    this.stateValue = "waiting";
    const delay = this.backoff.next();
    const generation = this.generation;
    this.retryTimer = this.options.clock.setTimeout(() => {
      if (generation === this.generation) void this.connect();
    }, delay);
  }

  private dropSocket(): void {
    const socket = this.socket;
    const wasOpen = this.stateValue === "open";
    this.socket = null;
    this.generation++;
    this.clearTimers();
    if (socket !== null) {
      socket.close(1000, "reconnecting");
      if (wasOpen) this.options.listener.close?.();
    }
  }

  private armIdle(): void {
    if (this.idleTimer !== null) this.options.clock.clearTimeout(this.idleTimer);
    const generation = this.generation;
    this.idleTimer = this.options.clock.setTimeout(() => {
      this.idleTimer = null;
      if (generation === this.generation && this.stateValue === "open") this.send({ action: "ping" });
    }, this.idleMs);
  }

  private clearTimers(): void {
    for (const timer of [this.retryTimer, this.maxAgeTimer, this.idleTimer]) {
      if (timer !== null) this.options.clock.clearTimeout(timer);
    }
    this.retryTimer = this.maxAgeTimer = this.idleTimer = null;
  }
}
