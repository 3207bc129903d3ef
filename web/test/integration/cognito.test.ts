// Against a running local stack (PARLEY_STACK=path/to/.devstack/stack.json): signs up through
// Amplify with the stack's endpoint, reads the code from the stack's outbox, confirms, signs in
// (password auth, and SRP), and opens the WebSocket with the ID token through the client library.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CognitoAuth } from "../../src/auth/cognito";
import { parseStackConfig } from "../../src/auth/stack";
import { Connection, webSocketFactory } from "../../src/client/connection";
import { systemClock } from "../../src/client/clock";
import type { ServerFrame } from "../../src/client/protocol";

const stackFile = process.env.PARLEY_STACK ?? "";
const stack = parseStackConfig(JSON.parse(readFileSync(stackFile, "utf8")));

/** The newest verification code the local stack "sent" to an address (its outbox). */
async function codeFor(address: string): Promise<string> {
  const url = `${stack.awsEndpoint}/_devstack/outbox.json?to=${encodeURIComponent(address)}`;
  const response = await fetch(url);
  expect(response.ok).toBe(true);
  const body = (await response.json()) as { messages: { code: string; to: string }[] };
  const newest = body.messages[0];
  if (newest === undefined) throw new Error(`no code for ${address}`);
  expect(newest.to).toBe(address);
  return newest.code;
}

describe("Cognito through Amplify against the local stack", () => {
  it("signs up, confirms with the outbox's code, signs in and connects", async () => {
    const auth = new CognitoAuth(stack);
    expect(auth.flow).toBe("USER_PASSWORD_AUTH");
    const email = `web-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
    const password = "Correct-Horse-9-battery";
    const signedUp = await auth.signUp(email, password);
    expect(signedUp.confirmed).toBe(false);
    const code = await codeFor(email);
    await expect(auth.confirm(email, code === "000000" ? "111111" : "000000")).rejects.toThrow(/code/i);
    await auth.confirm(email, code);
    const session = await auth.signIn(email, password);
    expect(session.userId).toMatch(/[0-9a-f-]{36}/);
    expect(session.expiresAtMs).toBeGreaterThan(Date.now());

    await auth.signOut();
    await expect(auth.signIn(email, "Wrong-password-1")).rejects.toThrow();

    // The token opens the WebSocket, and a sync answers `synced`.
    await auth.signIn(email, password);
    const frames: ServerFrame[] = [];
    const opened = new Promise<void>((resolve, reject) => {
      const connection = new Connection({
        url: stack.websocketUrl,
        socketFactory: webSocketFactory(WebSocket as unknown as new (url: string) => globalThis.WebSocket),
        tokenProvider: auth.tokenProvider,
        clock: systemClock,
        listener: {
          open: () => connection.send({ action: "sync" }),
          frame: (frame) => {
            frames.push(frame);
            if (frame.type === "synced") {
              connection.stop();
              resolve();
            }
          },
        },
      });
      connection.start();
      setTimeout(() => reject(new Error(`no synced; frames ${JSON.stringify(frames)}`)), 20_000);
    });
    await opened;
    expect(frames.at(-1)).toMatchObject({ type: "synced", more: false });
    await auth.signOut();
  }, 60_000);

  it("signs up with a phone number; the code goes out by SMS", async () => {
    const auth = new CognitoAuth(stack);
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const signedUp = await auth.signUp(phone, "Correct-Horse-9-battery");
    expect(signedUp.destination).toMatch(/^\+\*+\d{4}$/);
    await auth.confirm(phone, await codeFor(phone));
    const session = await auth.signIn(phone, "Correct-Horse-9-battery");
    expect(session.idToken.split(".")).toHaveLength(3);
    await auth.signOut();
  }, 60_000);
});
