// Two ParleyClients (the web client library, in Node with fake-indexeddb and `ws`) against a
// running local stack (PARLEY_STACK): alice writes to bob, bob receives it once, acks, and
// alice's tick reaches read.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CognitoAuth } from "../../src/auth/cognito";
import { parseStackConfig } from "../../src/auth/stack";
import { ParleyClient } from "../../src/client/client";
import { webSocketFactory } from "../../src/client/connection";
import { openIdbStore, type StoredMessage } from "../../src/client/store";

const stack = parseStackConfig(JSON.parse(readFileSync(process.env.PARLEY_STACK ?? "", "utf8")));
const factory = webSocketFactory(WebSocket as unknown as new (url: string) => globalThis.WebSocket);
const PASSWORD = "Correct-Horse-9-battery";

async function account(name: string) {
  const email = `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const auth = new CognitoAuth(stack);
  await auth.signUp(email, PASSWORD);
  const outbox = (await (await fetch(`${stack.awsEndpoint}/_devstack/outbox.json?to=${encodeURIComponent(email)}`)).json()) as {
    messages: { code: string }[];
  };
  await auth.confirm(email, outbox.messages[0]!.code);
  const session = await auth.signIn(email, PASSWORD);
  // Amplify keeps one signed-in user per process: hold this user's token for its client.
  const token = session.idToken;
  await auth.signOut();
  return { email, userId: session.userId, token };
}

function until<T>(what: string, check: () => T | undefined, ms = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const value = check();
      if (value !== undefined) resolve(value);
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

describe("two web clients against the local stack", () => {
  it("alice → bob: delivered once, acked, ticks to read", async () => {
    const alice = await account("alice");
    const bob = await account("bob");
    const clients = await Promise.all(
      [alice, bob].map(async (user) => {
        const store = await openIdbStore(`chat-${user.userId}`);
        const client = new ParleyClient({
          websocketUrl: stack.websocketUrl,
          userId: user.userId,
          tokenProvider: async () => user.token,
          store,
          socketFactory: factory,
        });
        const messages: StoredMessage[] = [];
        client.subscribe({ message: (m) => messages.push(structuredClone(m)) });
        let open = false;
        client.subscribe({ connection: (o) => (open = o) });
        await client.start();
        await until("open", () => (open ? true : undefined));
        return { client, store, messages };
      }),
    );
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const record = await a.client.send({ toUser: bob.userId, body: "hello from the web" });
    const received = await until("bob's message", () => b.messages.find((m) => m.id === record.id));
    expect(received).toMatchObject({ body: "hello from the web", from: alice.userId, seq: 1, own: false });
    await until("alice's delivered tick", () => a.messages.find((m) => m.id === record.id && m.tick === "delivered"));
    await b.client.markRead(received.conversation, received.seq);
    await until("alice's read tick", () => a.messages.find((m) => m.id === record.id && m.tick === "read"));
    expect(await a.store.listOutbox()).toEqual([]);
    expect(b.messages.filter((m) => m.id === record.id)).toHaveLength(1);
    for (const c of clients) c.client.stop();
  }, 60_000);
});
