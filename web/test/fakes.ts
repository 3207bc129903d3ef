/**
 * Test doubles for the client library: a manual clock (timers fire only when a test advances
 * time, so nothing depends on real time) and a fake WebSocket server side that records what the
 * client sent and lets a test push frames, open, and close.
 */
import type { Clock } from "../src/client/clock";
import type { SocketFactory, SocketLike } from "../src/client/connection";
import type { ClientFrame, ServerFrame } from "../src/client/protocol";

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private time = 1_700_000_000_000;
  private seq = 0;
  private timers = new Map<number, Timer>();
  /** Every delay asked for, in order (to check backoff). */
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, seq: id, callback });
    this.delays.push(ms);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  pendingCount(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

export class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  readonly sent: ClientFrame[] = [];
  closed = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.closed) throw new Error("closed");
    this.sent.push(JSON.parse(data) as ClientFrame);
  }
  close(): void {
    this.closed = true;
  }
  // Server side:
  open(): void {
    this.onopen?.({});
  }
  receive(frame: ServerFrame | Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006): void {
    this.closed = true;
    this.onclose?.({ code, reason: "" });
  }
  token(): string | null {
    return new URL(this.url).searchParams.get("token");
  }
  sentOf<A extends ClientFrame["action"]>(action: A): Extract<ClientFrame, { action: A }>[] {
    return this.sent.filter((f) => f.action === action) as Extract<ClientFrame, { action: A }>[];
  }
}

export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  readonly factory: SocketFactory = (url) => {
    const socket = new FakeSocket(url);
    this.sockets.push(socket);
    return socket;
  };
  get last(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error("no socket yet");
    return socket;
  }
}

/** Lets pending promise callbacks (token fetches, IndexedDB requests) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
