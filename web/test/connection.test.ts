import { describe, expect, it } from "vitest";
import { Backoff } from "../src/client/backoff";
import { Connection, type ConnectionListener } from "../src/client/connection";
import type { ServerFrame } from "../src/client/protocol";
import { FakeClock, FakeServer, flush } from "./fakes";

function setup(overrides: Partial<ConnectionListener> = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const tokenCalls: boolean[] = [];
  const events: string[] = [];
  const frames: ServerFrame[] = [];
  const connection = new Connection({
    url: "ws://127.0.0.1:9/dev",
    socketFactory: server.factory,
    tokenProvider: async ({ forceRefresh }) => {
      tokenCalls.push(forceRefresh);
      return `token-${tokenCalls.length}`;
    },
    clock,
    backoff: new Backoff({ baseMs: 1_000, capMs: 8_000, random: () => 0.5 }),
    maxAgeMs: 115 * 60_000,
    idleMs: 9 * 60_000,
    listener: {
      open: () => events.push("open"),
      close: () => events.push("close"),
      frame: (frame) => frames.push(frame),
      ...overrides,
    },
  });
  return { clock, server, tokenCalls, events, frames, connection };
}

describe("Connection", () => {
  it("connects with the token in the query string", async () => {
    const { server, connection, events } = setup();
    connection.start();
    await flush();
    expect(server.sockets).toHaveLength(1);
    expect(server.last.url).toBe("ws://127.0.0.1:9/dev?token=token-1");
    server.last.open();
    expect(events).toEqual(["open"]);
    expect(connection.send({ action: "typing", conversation: "c" })).toBe(true);
    expect(server.last.sent).toEqual([{ action: "typing", conversation: "c" }]);
  });

  it("reconnects with exponential backoff, reset once a socket opens", async () => {
    const { clock, server, connection } = setup();
    connection.start();
    await flush();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.delays.length;
      server.last.drop();
      waits.push(clock.delays[before]!);
      expect(connection.state).toBe("waiting");
      expect(connection.send({ action: "typing", conversation: "c" })).toBe(false);
      clock.advance(waits[i]! - 1);
      await flush();
      expect(server.sockets).toHaveLength(i + 1); // not yet
      clock.advance(1);
      await flush();
      expect(server.sockets).toHaveLength(i + 2);
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000]); // random 0.5 of 1, 2, 4, 8, 8 (cap) s
    server.last.open();
    const before = clock.delays.length;
    server.last.drop();
    expect(clock.delays.slice(before)).toContain(500);
  });

  it("after `unauthorized` reconnects at once with a forced-fresh token", async () => {
    const { server, connection, tokenCalls, frames } = setup();
    connection.start();
    await flush();
    server.last.open();
    server.last.receive({ type: "error", id: "m1", code: "unauthorized", message: "token expired" });
    await flush();
    expect(frames.map((f) => f.type)).toEqual(["error"]);
    expect(server.sockets).toHaveLength(2);
    expect(server.sockets[0]!.closed).toBe(true);
    expect(tokenCalls).toEqual([false, true]);
    expect(server.last.token()).toBe("token-2");
  });

  it("treats a close before open (a refused handshake) as a reason to refresh the token", async () => {
    const { clock, server, connection, tokenCalls } = setup();
    connection.start();
    await flush();
    server.last.drop(1006);
    clock.advance(10_000);
    await flush();
    expect(tokenCalls).toEqual([false, true]);
  });

  it("reconnects with a fresh token before API Gateway's two-hour limit", async () => {
    const { clock, server, connection, tokenCalls, events } = setup();
    connection.start();
    await flush();
    server.last.open();
    clock.advance(115 * 60_000 - 1);
    await flush();
    expect(server.sockets).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(server.sockets).toHaveLength(2);
    expect(server.sockets[0]!.closed).toBe(true);
    expect(tokenCalls).toEqual([false, true]);
    expect(events).toEqual(["open", "close"]);
  });

  it("sends a ping after 9 minutes without an outgoing frame, and again after the next 9", async () => {
    const { clock, server, connection } = setup();
    connection.start();
    await flush();
    server.last.open();
    clock.advance(5 * 60_000);
    connection.send({ action: "typing", conversation: "c" }); // re-arms the idle timer
    clock.advance(9 * 60_000 - 1);
    expect(server.last.sentOf("ping")).toEqual([]);
    clock.advance(1);
    expect(server.last.sentOf("ping")).toEqual([{ action: "ping" }]);
    clock.advance(9 * 60_000);
    expect(server.last.sentOf("ping")).toHaveLength(2);
    expect(server.last.sent.map((f) => f.action)).toEqual(["typing", "ping", "ping"]);
  });

  it("stops for good on stop()", async () => {
    const { clock, server, connection } = setup();
    connection.start();
    await flush();
    server.last.open();
    connection.stop();
    expect(server.last.closed).toBe(true);
    clock.advance(3_600_000);
    await flush();
    expect(server.sockets).toHaveLength(1);
    expect(connection.state).toBe("stopped");
  });
});
