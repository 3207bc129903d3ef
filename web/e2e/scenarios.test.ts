// Parley Web in headless Chromium against a local stack this run starts: people sign up, find
// each other and chat, with ticks, typing, files, groups, going offline and reloading. One
// stack and one browser for all; each user a browser context of their own. Screenshots of the
// main screens go to target/web-screenshots/.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bubble, cspViolations, lastSeqOf, launch, online, openChatWith, PASSWORD, screenshot, seedConversation, send, signUp, tickOf, watchCsp, type User,
} from "./browser";
import type { Outgoing } from "../src/client/crypto/requests";
import { KeyDirectory } from "../test/key-directory";
import { CANARY_SCAN, cliChat, cliSignUp, parley, run } from "./cli";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let browser: Browser;
let alice: User;
let bob: User;
let carol: User;

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  stack = await startStack(new URL("../../target/web-e2e", import.meta.url).pathname);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("Parley Web", () => {
  it("two people sign up, find each other by email and chat both ways, ticks reaching read", async () => {
    [alice, bob] = await Promise.all([signUp(browser, stack, "alice"), signUp(browser, stack, "bob")]);
    await screenshot(alice.page, "01-empty-chat-list");

    await openChatWith(alice, bob.email);
    await send(alice, "Hello Bob");
    await bubble(alice.page, "Hello Bob").waitFor();

    // Bob has not opened the chat: it is listed with one unread and its preview, and Alice's
    // message is delivered (✓✓) but not read.
    const listed = bob.page.getByRole("button", { name: /Hello Bob/ });
    await listed.waitFor();
    await expect.poll(() => listed.getByLabel("1 unread").count()).toBe(1);
    await expect.poll(() => tickOf(alice.page, "Hello Bob"), { timeout: 15_000 }).toBe("delivered");
    await screenshot(bob.page, "02-chat-list-unread");

    // Bob finds Alice by email: the same conversation opens, and reading it turns her ticks blue.
    await openChatWith(bob, alice.email);
    await bubble(bob.page, "Hello Bob").waitFor();
    await expect.poll(() => tickOf(alice.page, "Hello Bob"), { timeout: 15_000 }).toBe("read");
    await expect.poll(() => listed.getByLabel(/unread/).count()).toBe(0);

    await send(bob, "Hi Alice");
    await bubble(alice.page, "Hi Alice").waitFor();
    // Announced to screen readers as it arrives.
    await alice.page.locator(".sr-only[aria-live=polite]", { hasText: "Hi Alice" }).waitFor({ state: "attached" });
    await expect.poll(() => tickOf(bob.page, "Hi Alice"), { timeout: 15_000 }).toBe("read");
    await expect(bob.page.locator(".day").first().textContent()).resolves.toBe("Today");
    await screenshot(alice.page, "03-chat-ticks-read");
  });

  it("typing shows on the other side and clears", async () => {
    await bob.page.getByLabel("Message", { exact: true }).pressSequentially("I am typ");
    const typing = alice.page.locator(".typing", { hasText: "typing…" });
    await typing.waitFor({ timeout: 10_000 });
    await screenshot(alice.page, "04-typing");
    await typing.waitFor({ state: "detached", timeout: 15_000 });
    await bob.page.getByLabel("Message", { exact: true }).fill("");
  });

  it("a message arriving while the tab is hidden raises a browser notification, read once visible again", async () => {
    // Headless Chromium has no notification centre and no way to hide a tab: the page's
    // Notification is replaced by a recorder, granted, and the document reports itself hidden.
    await bob.page.evaluate(() => {
      const shown: { title: string; body: string | undefined }[] = [];
      (window as unknown as { shown: typeof shown }).shown = shown;
      window.Notification = class {
        static permission = "granted";
        static requestPermission = async () => "granted";
        onclick: (() => void) | null = null;
        constructor(title: string, options?: NotificationOptions) {
          shown.push({ title, body: options?.body });
        }
        close() {}
      } as unknown as typeof Notification;
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    });
    await send(alice, "Are you there?");
    await expect
      .poll(() => bob.page.evaluate(() => (window as unknown as { shown: unknown[] }).shown), { timeout: 15_000 })
      .toEqual([{ title: alice.email, body: "Are you there?" }]);
    // Hidden, the message is delivered but not read (it counts as unread, though the chat is
    // open); visible again, it is read.
    await expect.poll(() => tickOf(alice.page, "Are you there?"), { timeout: 15_000 }).toBe("delivered");
    await expect.poll(() => bob.page.getByRole("button", { name: /Are you there\?/ }).getByLabel("1 unread").count()).toBe(1);
    await bob.page.evaluate(() => {
      delete (document as unknown as Record<string, unknown>).hidden;
      delete (document as unknown as Record<string, unknown>).visibilityState;
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await expect.poll(() => tickOf(alice.page, "Are you there?"), { timeout: 15_000 }).toBe("read");
  });

  it("a file uploads with a progress bar, arrives, and downloads with identical bytes", async () => {
    // Refused before any upload, with the reason.
    const picker = alice.page.getByLabel("File to send");
    await picker.setInputFiles({ name: "page.html", mimeType: "text/html", buffer: Buffer.from("<p>hi</p>") });
    await alice.page.getByRole("alert").filter({ hasText: "could run them as a page" }).waitFor();

    // An image shows inline. (Before the held upload below: once a page routes requests,
    // Chromium's preflights for other uploads from it failed here.)
    await picker.setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: PNG });
    const image = bob.page.getByRole("img", { name: "dot.png" });
    await image.waitFor({ timeout: 15_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    // The PUT to S3 is held until the bar has been seen (a local upload is too quick to watch;
    // Chromium's upload throttling makes moto refuse the PUT, so it is held instead).
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // End-to-end encrypted: the file goes up under a neutral name, its bytes encrypted.
    const uploads: { path: string; body: Buffer | null }[] = [];
    await alice.page.route(
      (url) => url.pathname.endsWith("/file"),
      async (route) => {
        if (route.request().method() === "PUT") {
          uploads.push({ path: new URL(route.request().url()).pathname, body: route.request().postDataBuffer() });
          await held;
        }
        await route.continue();
      },
    );
    const bytes = randomBytes(3 * 1024 * 1024);
    await picker.setInputFiles({ name: "notes.bin", mimeType: "application/octet-stream", buffer: bytes });
    const bar = alice.page.getByRole("progressbar", { name: "Uploading notes.bin" });
    await bar.waitFor();
    await expect.poll(async () => Number(await bar.getAttribute("max"))).toBe(bytes.length);
    await screenshot(alice.page, "05-upload-progress");
    release();
    await bar.waitFor({ state: "detached", timeout: 30_000 });
    await alice.page.unrouteAll({ behavior: "wait" });
    expect(await alice.page.getByRole("alert").filter({ hasText: "notes.bin" }).count()).toBe(0);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.path).not.toContain("notes");
    expect(uploads[0]!.body?.length).toBe(bytes.length);
    expect(uploads[0]!.body?.equals(bytes)).toBe(false);

    const link = bob.page.getByRole("button", { name: /^Download notes\.bin/ });
    await link.waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([bob.page.waitForEvent("download"), link.click()]);
    const saved = readFileSync(await download.path());
    expect(saved.length).toBe(bytes.length);
    expect(saved.equals(bytes)).toBe(true);

    // A file dropped on the composer goes the same way.
    const dropped = await alice.page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["dropped text\n"], "dropped.txt", { type: "text/plain" }));
      return transfer;
    });
    await alice.page.dispatchEvent("form.composer", "drop", { dataTransfer: dropped });
    await bob.page.getByRole("button", { name: /^Download dropped\.txt/ }).waitFor({ timeout: 15_000 });
    await screenshot(bob.page, "06-files");
  });

  it("a group of three (one by phone): messages reach all, a removed member stops receiving", async () => {
    // Carol signs up with a phone number (mistyping the code once) and is found by it.
    carol = await signUp(browser, stack, "carol", { phone: true, wrongCodeFirst: true });
    await alice.page.getByText("New group").click();
    await alice.page.getByLabel("Group name").fill("Climbing");
    await alice.page.getByLabel("Members (emails or phones)").fill(`${bob.email}, ${carol.email}`);
    await alice.page.getByRole("button", { name: "Create group" }).click();
    await alice.page.getByRole("heading", { name: "Climbing" }).waitFor();
    await send(alice, "Saturday?");
    for (const user of [bob, carol]) {
      await user.page.getByRole("button", { name: /Climbing/ }).click();
      await bubble(user.page, "Saturday?").waitFor({ timeout: 15_000 });
      await user.page.locator(".system", { hasText: /created the group “Climbing”/ }).waitFor();
    }
    // Ticks in a group: read only once every member has read.
    await expect.poll(() => tickOf(alice.page, "Saturday?"), { timeout: 15_000 }).toBe("read");

    await alice.page.getByRole("button", { name: "Group info" }).click();
    const info = alice.page.getByRole("complementary", { name: "Group info" });
    await expect.poll(() => info.getByRole("listitem").count()).toBe(3);
    await expect.poll(() => info.getByText("admin", { exact: true }).count()).toBe(1);
    await screenshot(alice.page, "07-group-info");
    await info.getByRole("button", { name: `Remove ${carol.email}` }).click();
    await expect.poll(() => info.getByRole("listitem").count()).toBe(2);

    await carol.page.locator(".system", { hasText: "removed" }).waitFor({ timeout: 15_000 });
    await carol.page.getByText("You are no longer a member of this group.").waitFor();
    await bob.page.locator(".system", { hasText: "removed" }).waitFor({ timeout: 15_000 });

    await send(alice, "Without Carol");
    await bubble(bob.page, "Without Carol").waitFor({ timeout: 15_000 });
    // A direct message after it: once Carol has that, she would have had the group's too.
    await openChatWith(alice, carol.email);
    await send(alice, "Marker for Carol");
    await carol.page.getByRole("button", { name: /Marker for Carol/ }).waitFor({ timeout: 15_000 });
    await carol.page.getByRole("button", { name: /Climbing/ }).click();
    await expect.poll(() => bubble(carol.page, "Without Carol").count()).toBe(0);
    await expect.poll(() => bubble(carol.page, "Saturday?").count()).toBe(1);
    await screenshot(carol.page, "08-group-removed");

    // Anyone leaves: Bob does, and Alice sees it as a line in the chat.
    await bob.page.getByRole("button", { name: /Climbing/ }).click();
    await bob.page.getByRole("button", { name: "Group info" }).click();
    await bob.page.getByRole("button", { name: "Leave group" }).click();
    await bob.page.getByText("You are no longer a member of this group.").waitFor();
    await alice.page.getByRole("button", { name: /Climbing/ }).click();
    await alice.page.locator(".system", { hasText: `${bob.email} left` }).waitFor({ timeout: 15_000 });
    await alice.page.getByRole("button", { name: "Group info" }).click();
    await expect.poll(() => info.getByRole("listitem").count()).toBe(1);
  });

  it("offline: a banner, messages wait with a clock, then arrive once on reconnect", async () => {
    await openChatWith(bob, alice.email);
    await openChatWith(alice, bob.email);
    await bob.context.setOffline(true);
    await bob.page.getByRole("status").filter({ hasText: /^Offline/ }).waitFor({ timeout: 15_000 });
    await send(bob, "Written offline 1");
    await send(bob, "Written offline 2");
    await expect.poll(() => tickOf(bob.page, "Written offline 2")).toBe("pending");
    await screenshot(bob.page, "09-offline");
    await bob.context.setOffline(false);
    await online(bob.page);
    for (const text of ["Written offline 1", "Written offline 2"]) {
      await bubble(alice.page, text).waitFor({ timeout: 20_000 });
      await expect.poll(() => tickOf(bob.page, text), { timeout: 15_000 }).toBe("read");
    }
    // Exactly once each, also after a sync: reload Alice and count again.
    await alice.page.reload();
    await alice.page.locator("button.conversation").filter({ has: alice.page.locator(".title", { hasText: bob.email }) }).click();
    await bubble(alice.page, "Written offline 2").waitFor();
    expect(await bubble(alice.page, "Written offline 1").count()).toBe(1);
    expect(await bubble(alice.page, "Written offline 2").count()).toBe(1);
  });

  it("a reload shows the history at once and syncs what was missed", async () => {
    // Bob's tab goes away; Alice writes meanwhile; Bob comes back with the server unreachable
    // at first: the chats and their history show from this browser's store alone.
    const url = bob.page.url();
    await bob.page.close();
    await send(alice, "While you were away");
    await expect.poll(() => tickOf(alice.page, "While you were away"), { timeout: 15_000 }).toBe("sent");
    bob.page = await bob.context.newPage();
    let reachable = false;
    await bob.page.routeWebSocket(/.*/, (socket) => (reachable ? socket.connectToServer() : socket.close()));
    const started = Date.now();
    await bob.page.goto(url);
    await bob.page.getByRole("button", { name: /Written offline 2/ }).waitFor();
    const listShownMs = Date.now() - started;
    await bob.page.getByRole("button", { name: /Written offline 2/ }).click();
    await bubble(bob.page, "Hello Bob").waitFor();
    await bob.page.getByRole("status").filter({ hasText: /^Offline/ }).waitFor();
    expect(await bubble(bob.page, "While you were away").count()).toBe(0);
    console.log(`reload: conversation list from the store ${listShownMs} ms after navigation`);

    // The server is back: the missed message syncs in, once.
    reachable = true;
    await bob.page.evaluate(() => window.dispatchEvent(new Event("online")));
    await online(bob.page);
    await bubble(bob.page, "While you were away").waitFor({ timeout: 20_000 });
    expect(await bubble(bob.page, "While you were away").count()).toBe(1);
    expect(await bubble(bob.page, "Hello Bob").count()).toBe(1);
    await screenshot(bob.page, "10-after-reload");

    // Phone width: the list alone, then the chat alone with a way back.
    await bob.page.setViewportSize({ width: 390, height: 780 });
    await screenshot(bob.page, "11-phone-chat");
    await bob.page.getByRole("button", { name: "Back to chats" }).click();
    await screenshot(bob.page, "12-phone-list");
  });

  it("a long conversation renders only what is on screen and loads older history on scroll", async () => {
    await seedConversation(carol, 400);
    await carol.page.reload();
    await carol.page.getByRole("button", { name: /Message 400:/ }).click();
    await carol.page.locator(".bubble .body", { hasText: /^Message 400: / }).waitFor();
    expect(await carol.page.locator(".messages .row").count()).toBeLessThan(60);
    const messages = carol.page.getByRole("log", { name: "Messages" });
    // Each scroll to the top loads the page before it, until the first message is there.
    await expect
      .poll(
        async () => {
          await messages.evaluate((element) => element.scrollTo({ top: 0 }));
          return carol.page.locator(".bubble .body", { hasText: /^Message 1: / }).count();
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(1);
    expect(await carol.page.locator(".messages .row").count()).toBeLessThan(60);
    await screenshot(carol.page, "13-long-conversation-top");
  });

  it("signing out revokes the session and forgets this browser's copy and device; signing in again makes a new device: the chats come back, their history sent before it unreadable there", async () => {
    const revoked = carol.page.waitForResponse((response) => response.request().headers()["x-amz-target"]?.endsWith(".RevokeToken") ?? false);
    await carol.page.getByRole("button", { name: "Sign out" }).click();
    expect((await revoked).status()).toBe(200);
    await carol.page.getByRole("heading", { name: "Sign in to Parley" }).waitFor();
    await screenshot(carol.page, "14-sign-in");
    // The messages and the device's keys (the encryption engine's databases) are gone.
    expect(await carol.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toEqual([]);
    await carol.page.getByLabel(/Email or phone/).fill(carol.email);
    await carol.page.getByLabel("Password").fill(PASSWORD);
    await carol.page.getByRole("button", { name: "Sign in" }).click();
    await online(carol.page);
    // The seeded conversation was only ever local; the real ones sync back, but what was
    // encrypted before this device existed was never shared with it: it says so.
    await carol.page.getByRole("button", { name: /Climbing/ }).waitFor({ timeout: 20_000 });
    expect(await carol.page.getByRole("button", { name: /Message 400:/ }).count()).toBe(0);
    await openChatWith(carol, alice.email);
    await carol.page.locator('.sealed[data-sealed="beforeDevice"]').first().waitFor({ timeout: 20_000 });
    await carol.page.getByText("Sent before this device signed in: it cannot be decrypted here.").first().waitFor();
    expect(await bubble(carol.page, "Marker for Carol").count()).toBe(0);
    await screenshot(carol.page, "14b-history-before-device");

    // Alice's next message is shared with the new device: Carol reads it. Her old device was
    // removed at sign-out (removeDevice): Alice lists the new one alone.
    await openChatWith(alice, carol.email);
    await send(alice, "Welcome back, Carol");
    await bubble(carol.page, "Welcome back, Carol").waitFor({ timeout: 20_000 });
    const device = await carol.page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith("parley.device."))?.[1]);
    await alice.page.getByRole("button", { name: "Devices" }).click();
    const carolsDevices = alice.page.getByRole("list", { name: `Devices of ${carol.email}` });
    await expect.poll(() => carolsDevices.locator(".device").evaluateAll((items) => items.map((i) => i.getAttribute("data-device"))), { timeout: 15_000 })
      .toEqual([(JSON.parse(device!) as { id: string }).id]);
    await alice.page.getByRole("list", { name: "Devices of you" }).getByText("(this browser)").waitFor();
    await screenshot(alice.page, "14c-devices");
    await alice.page.getByRole("button", { name: "Devices" }).click();
  });

  it("the build ships the encryption engine and the served CSP lets it compile: two in-page devices exchange a message", async () => {
    // The crypto module is an entry of the build (vite.config.ts), loaded by the app after
    // sign-in: here the signed-out page imports it from the served build, so no hook ships in
    // the app. The key directory
    // stays in Node (test/key-directory.ts), reached through one exposed function.
    const chunk = readdirSync(new URL("../dist/assets/", import.meta.url)).find((f) => /^crypto-[\w-]+\.js$/.test(f));
    expect(chunk).toBeDefined();
    const context = await browser.newContext();
    await watchCsp(context, "crypto");
    const directory = new KeyDirectory();
    await context.exposeFunction("parleyKeys", (op: "answer" | "sync", user: string, device: string, request?: Outgoing) =>
      op === "sync" ? directory.sync(user, device) : directory.answer(user, device, request!),
    );
    const page = await context.newPage();
    await page.goto(stack.webUrl);
    await page.getByRole("heading", { name: "Sign in to Parley" }).waitFor();
    // A string: vitest rewrites a dynamic import() in a function's source.
    await page.evaluate(`import("/assets/${chunk}").then((m) => { window.parleyCryptoModule = m; })`);
    const run = await page.evaluate(async () => {
      const m = (window as unknown as { parleyCryptoModule: typeof import("../src/client/crypto/index") }).parleyCryptoModule;
      const keys = (window as unknown as { parleyKeys: (op: string, user: string, device: string, request?: unknown) => Promise<any> }).parleyKeys;
      const started = performance.now();
      await m.initCrypto();
      const initMs = performance.now() - started;
      const transport = (user: string, device: string) => ({ send: (request: unknown) => keys("answer", user, device, request) });
      const alice = await m.Crypto.open("alice", "ALICEBROWSER");
      const bob = await m.Crypto.open("bob", "BOBBROWSER01");
      await alice.processOutgoing(transport("alice", "ALICEBROWSER"));
      await bob.processOutgoing(transport("bob", "BOBBROWSER01"));
      const encrypted = await m.encrypt(alice, transport("alice", "ALICEBROWSER"), "d:alice:bob", ["bob"], { body: "hello bob" });
      const early = await m.decrypt(bob, "d:alice:bob", "alice", "m1", 1764068700789, encrypted);
      await bob.processOutgoing(transport("bob", "BOBBROWSER01"));
      await m.receiveSync(bob, await keys("sync", "bob", "BOBBROWSER01"));
      const late = await m.decrypt(bob, "d:alice:bob", "alice", "m1", 1764068700789, encrypted);
      alice.close();
      bob.close();
      const wasm = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).map((e) => new URL(e.name).pathname);
      const databases = (await indexedDB.databases()).map((d) => d.name).sort();
      return { initMs, wasm, databases, plaintextLeaked: encrypted.includes("hello bob"), early: early.kind, late };
    });
    console.log(`crypto engine: fetched and compiled in ${run.initMs.toFixed(0)} ms`);
    expect(run.wasm).toEqual([expect.stringMatching(/^\/assets\/matrix_sdk_crypto_wasm_bg-[\w-]+\.wasm$/)]);
    expect(run.databases).toEqual(expect.arrayContaining(["parley-crypto-alice-ALICEBROWSER::matrix-sdk-crypto", "parley-crypto-bob-BOBBROWSER01::matrix-sdk-crypto"]));
    expect(run.plaintextLeaked).toBe(false);
    expect(run.early).toBe("missingKey");
    expect(run.late).toEqual({ kind: "decrypted", content: { body: "hello bob" }, senderDevice: "ALICEBROWSER" });
    await context.close();
  });

  it("messages are end-to-end encrypted: no frame to or from the server carries the text, and the other side reads it", async () => {
    // Every WebSocket frame of both pages, from a fresh load on.
    const frames: { who: string; dir: "sent" | "received"; text: string }[] = [];
    const urls: string[] = [];
    for (const [who, user] of [["alice", alice], ["bob", bob]] as const) {
      user.page.on("websocket", (ws) => {
        urls.push(ws.url());
        ws.on("framesent", (f) => frames.push({ who, dir: "sent", text: String(f.payload) }));
        ws.on("framereceived", (f) => frames.push({ who, dir: "received", text: String(f.payload) }));
      });
      await user.page.reload();
      await online(user.page);
    }
    const marker = `canary-${randomBytes(6).toString("hex")}`;
    await openChatWith(alice, bob.email);
    await openChatWith(bob, alice.email);
    await send(alice, `The secret is ${marker}`);
    await bubble(bob.page, `The secret is ${marker}`).waitFor({ timeout: 20_000 });
    await send(bob, `Got ${marker}`);
    await bubble(alice.page, `Got ${marker}`).waitFor({ timeout: 20_000 });

    const parsed = frames.map((f) => ({ ...f, frame: JSON.parse(f.text) as Record<string, unknown> }));
    const sends = parsed.filter((f) => f.dir === "sent" && f.frame.action === "send");
    const delivered = parsed.filter((f) => f.dir === "received" && f.frame.type === "message" && f.frame.encrypted !== undefined);
    expect(sends.map((f) => f.who).sort()).toEqual(["alice", "bob"]);
    for (const { frame } of sends) {
      expect(frame.body).toBeUndefined();
      expect(JSON.parse(frame.encrypted as string).algorithm).toBe("m.megolm.v1.aes-sha2");
    }
    expect(delivered.length).toBeGreaterThanOrEqual(2);
    // Neither the text nor its marker in any frame, either way (keys went as to-device messages).
    expect(frames.filter((f) => f.text.includes(marker))).toEqual([]);
    // Each browser connected as its device.
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) expect(new URL(url).searchParams.get("device")).toMatch(/^[A-Z0-9]{16}$/);
  });

  it("a second tab of the same browser leaves the device to the first: it says Parley is open in another tab", async () => {
    // Two tabs on one device's keys would fork its ratchets: one holds a Web Lock on it.
    const second = await bob.context.newPage();
    await second.goto(stack.webUrl);
    await second.getByRole("alert").filter({ hasText: "Parley is open in another tab" }).waitFor({ timeout: 15_000 });
    await second.close();
    // The first tab still has it.
    await send(alice, "Still with us?");
    await bubble(bob.page, "Still with us?").waitFor({ timeout: 20_000 });
  });

  it("mute, pin, archive and mark unread reach the same user's second browser: pinned first, archived apart", async () => {
    // Rows by conversation id: the second browser has not looked anyone up, so its titles differ.
    const idOf = (title: string) =>
      alice.page.locator(".conversation-row").filter({ has: alice.page.locator(".title", { hasText: title }) }).locator("[data-conversation]").getAttribute("data-conversation");
    const rowOf = (page: Page, conversation: string | null) => page.locator(".conversation-row").filter({ has: page.locator(`[data-conversation="${conversation}"]`) });
    const [climbing, withBob, withCarol] = [await idOf("Climbing"), await idOf(bob.email), await idOf(carol.email)];
    // Before the second browser signs in: it learns this from the listing on connect.
    await alice.page.getByLabel("Options for Climbing", { exact: true }).click();
    await alice.page.getByRole("button", { name: "Pin", exact: true }).click();
    await rowOf(alice.page, climbing).getByRole("img", { name: "pinned" }).waitFor();

    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    await watchCsp(context, "alice-2");
    const second = await context.newPage();
    await second.goto(stack.webUrl);
    await second.getByLabel(/Email or phone/).fill(alice.email);
    await second.getByLabel("Password").fill(PASSWORD);
    await second.getByRole("button", { name: "Sign in" }).click();
    await online(second);
    const listed = second.getByRole("list", { name: "Conversations" }).locator(".conversation-row");
    await expect.poll(() => listed.first().locator("[data-conversation]").getAttribute("data-conversation"), { timeout: 20_000 }).toBe(climbing);
    await rowOf(second, climbing).getByRole("img", { name: "pinned" }).waitFor();

    // Live, from the first browser.
    await alice.page.getByLabel("Options for Climbing", { exact: true }).click();
    await alice.page.getByRole("button", { name: "Mute always" }).click();
    await rowOf(second, climbing).getByRole("img", { name: "muted" }).waitFor({ timeout: 15_000 });
    await alice.page.getByLabel(`Options for ${carol.email}`, { exact: true }).click();
    await alice.page.getByRole("button", { name: "Mark as unread" }).click();
    await rowOf(second, withCarol).getByLabel("marked unread").waitFor({ timeout: 15_000 });
    await alice.page.getByLabel(`Options for ${bob.email}`, { exact: true }).click();
    await alice.page.getByRole("button", { name: "Archive", exact: true }).click();
    await second.getByText("Archived (1)").waitFor({ timeout: 15_000 });
    await expect.poll(() => second.getByRole("list", { name: "Conversations" }).locator(`[data-conversation="${withBob}"]`).count()).toBe(0);
    await second.getByText("Archived (1)").click();
    await second.getByRole("list", { name: "Archived conversations" }).locator(`[data-conversation="${withBob}"]`).waitFor();
    await screenshot(second, "15-chat-settings");

    // Opening the chat marked unread clears the mark, in the other browser too.
    await second.locator(`[data-conversation="${withCarol}"]`).click();
    await rowOf(alice.page, withCarol).getByLabel("marked unread").waitFor({ state: "detached", timeout: 15_000 });
    await context.close();
  });

  // Changes to messages and presence (issue 16), between two people of their own: Dora and Ed.
  let dora: User;
  let ed: User;
  let fay: User;
  /** A stored message's bubble (not the outbox's copy), by its exact text. */
  const stored = (user: User, text: string) => bubble(user.page, text).and(user.page.locator("[data-seq]"));
  const menuAction = async (user: User, text: string, action: string) => {
    const row = stored(user, text);
    await row.getByLabel("Message options").click();
    await row.getByRole("button", { name: action, exact: true }).click();
  };
  const chip = (user: User, text: string, emoji: string) => stored(user, text).locator(`.reaction[data-emoji="${emoji}"]`);

  it("edit: the other side shows the new text marked edited, in place of the old", async () => {
    [dora, ed] = await Promise.all([signUp(browser, stack, "dora"), signUp(browser, stack, "ed")]);
    await openChatWith(dora, ed.email);
    await send(dora, "Meet at 7");
    await openChatWith(ed, dora.email);
    await stored(ed, "Meet at 7").waitFor({ timeout: 15_000 });
    await stored(dora, "Meet at 7").waitFor({ timeout: 15_000 });

    await menuAction(dora, "Meet at 7", "Edit");
    const box = dora.page.getByLabel("Message", { exact: true });
    await expect.poll(() => box.inputValue()).toBe("Meet at 7");
    await box.fill("Meet at 8");
    await box.press("Enter");
    for (const user of [ed, dora]) {
      await stored(user, "Meet at 8").locator(".edited", { hasText: "edited" }).waitFor({ timeout: 15_000 });
      expect(await bubble(user.page, "Meet at 7").count()).toBe(0);
    }
    // The edit is no message of its own, on either side.
    expect(await ed.page.locator(".bubble[data-seq]").count()).toBe(1);
    expect(await dora.page.locator(".bubble").count()).toBe(1);
    await screenshot(ed.page, "16-edited");
  });

  it("reactions: counts and who reacted on both sides, replaced and removed", async () => {
    await menuAction(ed, "Meet at 8", "React 👍");
    // Ed's first: his reaction has reached Dora before hers goes (each is sealed first, which
    // may take either of them longer).
    await expect.poll(() => chip(dora, "Meet at 8", "👍").getAttribute("data-count"), { timeout: 15_000 }).toBe("1");
    await menuAction(dora, "Meet at 8", "React 👍");
    for (const user of [dora, ed]) {
      await expect.poll(() => chip(user, "Meet at 8", "👍").getAttribute("data-count"), { timeout: 15_000 }).toBe("2");
    }
    // Who reacted, by name.
    expect(await chip(dora, "Meet at 8", "👍").getAttribute("title")).toBe(`${ed.email}, You`);

    // Ed changes his to 😂: one reaction a person.
    await menuAction(ed, "Meet at 8", "React 😂");
    for (const user of [dora, ed]) {
      await expect.poll(() => chip(user, "Meet at 8", "😂").getAttribute("data-count"), { timeout: 15_000 }).toBe("1");
      await expect.poll(() => chip(user, "Meet at 8", "👍").getAttribute("data-count"), { timeout: 15_000 }).toBe("1");
    }
    await screenshot(dora.page, "17-reactions");
    // Dora takes hers back by tapping her chip.
    await chip(dora, "Meet at 8", "👍").click();
    for (const user of [dora, ed]) await chip(user, "Meet at 8", "👍").waitFor({ state: "detached", timeout: 15_000 });
    expect(await chip(ed, "Meet at 8", "😂").getAttribute("title")).toBe("You");
  });

  it("reply: the quote shows the original; tapping it scrolls back to the original and highlights it", async () => {
    await send(dora, "Original question?");
    // Enough messages after it that the original leaves the (virtualized) list.
    for (let i = 1; i <= 30; i++) await send(dora, `Filler ${i}`);
    await stored(ed, "Filler 30").waitFor({ timeout: 30_000 });
    const edMessages = ed.page.getByRole("log", { name: "Messages" });
    await expect.poll(() => stored(ed, "Original question?").count()).toBe(0);
    await edMessages.evaluate((element) => element.scrollTo({ top: 0 }));
    await menuAction(ed, "Original question?", "Reply");
    await ed.page.getByLabel("Replying to").filter({ hasText: "Original question?" }).waitFor();
    await send(ed, "Yes, the answer");

    // Dora reads at the end: the reply arrives there, quoting a message far above.
    const reply = stored(dora, "Yes, the answer");
    const quote = reply.getByRole("button", { name: /^Reply to .*: Original question\?\. Show the message$/ });
    await quote.waitFor({ timeout: 15_000 });
    expect(await stored(dora, "Original question?").count()).toBe(0);
    await quote.click();
    const original = stored(dora, "Original question?");
    await original.and(dora.page.locator(".highlight")).waitFor({ timeout: 10_000 });
    const [box, view] = [await original.boundingBox(), await dora.page.getByRole("log", { name: "Messages" }).boundingBox()];
    expect(box!.y).toBeGreaterThanOrEqual(view!.y);
    expect(box!.y + box!.height).toBeLessThanOrEqual(view!.y + view!.height);
    await screenshot(dora.page, "18-reply-jump");
  });

  it("presence: the open chat shows the other online, then last seen once they close the app", async () => {
    await openChatWith(dora, ed.email);
    const presence = dora.page.locator(".chat .presence");
    await expect.poll(() => presence.textContent(), { timeout: 15_000 }).toBe("online");
    await screenshot(dora.page, "19-presence-online");
    await ed.context.close();
    await expect.poll(() => presence.textContent(), { timeout: 20_000 }).toMatch(/^last seen today at /);
    await screenshot(dora.page, "20-presence-last-seen");
  });

  it("mentions, forwarding and privacy: @ suggests members and the mentioned sees it marked; a forward is marked; Nobody hides presence", async () => {
    fay = await signUp(browser, stack, "fay");
    await dora.page.getByText("New group").click();
    await dora.page.getByLabel("Group name").fill("Trip");
    await dora.page.getByLabel("Members (emails or phones)").fill(fay.email);
    await dora.page.getByRole("button", { name: "Create group" }).click();
    await dora.page.getByRole("heading", { name: "Trip" }).waitFor();
    const box = dora.page.getByLabel("Message", { exact: true });
    await box.pressSequentially("Hi @fa");
    await dora.page.getByRole("listbox", { name: "Mention a member" }).getByRole("option", { name: `@${fay.email}` }).click();
    await box.pressSequentially("see this");
    await expect.poll(() => box.inputValue()).toBe(`Hi @${fay.email} see this`);
    await box.press("Enter");
    await fay.page.getByRole("button", { name: /Trip/ }).click();
    await fay.page.locator(".bubble[data-seq] .mention.me", { hasText: `@${fay.email}` }).waitFor({ timeout: 15_000 });
    await screenshot(fay.page, "21-mention");

    // Dora forwards Ed's chat's message into the group: Fay sees it marked.
    await dora.page.locator("button.conversation").filter({ has: dora.page.locator(".title", { hasText: ed.email }) }).click();
    await stored(dora, "Yes, the answer").waitFor();
    await dora.page.getByRole("log", { name: "Messages" }).evaluate((element) => element.scrollTo({ top: 0 }));
    await menuAction(dora, "Meet at 8", "Forward");
    await dora.page.getByRole("complementary", { name: "Forward to" }).getByRole("button", { name: "Forward to Trip" }).click();
    await stored(fay, "Meet at 8").locator(".forwarded", { hasText: "Forwarded" }).waitFor({ timeout: 15_000 });

    // Presence: Fay sees Dora online, until Dora shows hers to nobody.
    await openChatWith(fay, dora.email);
    const presence = fay.page.locator(".chat .presence");
    await expect.poll(() => presence.textContent(), { timeout: 15_000 }).toBe("online");
    await dora.page.getByRole("button", { name: "Settings" }).click();
    const settings = dora.page.getByRole("region", { name: "Settings" });
    await expect.poll(() => settings.getByRole("radio", { name: "Everyone" }).isChecked()).toBe(true);
    await settings.getByRole("radio", { name: "Nobody" }).check();
    await settings.getByRole("status").filter({ hasText: "Last seen: Nobody" }).waitFor({ timeout: 15_000 });
    await screenshot(dora.page, "22-settings");
    // A new watch (the chat opened again) gets no state.
    await fay.page.getByRole("button", { name: /Trip/ }).click();
    await fay.page.getByRole("heading", { name: "Trip" }).waitFor();
    await openChatWith(fay, dora.email);
    await expect.poll(() => fay.page.locator(".chat .presence").getAttribute("data-presence"), { timeout: 15_000 }).toBe("hidden");
    expect(await fay.page.locator(".chat .presence").textContent()).toBe("");
  });

  it("delete for everyone: the message is deleted on both sides, its text gone", async () => {
    await fay.page.getByRole("button", { name: /Trip/ }).click();
    await dora.page.getByRole("button", { name: /Trip/ }).click();
    await send(dora, "Delete me");
    await stored(fay, "Delete me").waitFor({ timeout: 15_000 });
    await stored(dora, "Delete me").getByLabel("Message options").click();
    await stored(dora, "Delete me").getByRole("button", { name: "Delete for everyone" }).click();
    await stored(dora, "Delete me").getByRole("button", { name: "Confirm: delete for everyone" }).click();
    const deleted = (user: User) => user.page.locator(".bubble[data-seq] .body.deleted", { hasText: "This message was deleted" });
    for (const user of [dora, fay]) {
      await deleted(user).waitFor({ timeout: 15_000 });
      expect(await deleted(user).count()).toBe(1);
      expect(await bubble(user.page, "Delete me").count()).toBe(0);
    }
    expect(await dora.page.getByRole("alert").filter({ hasText: /refused/ }).count()).toBe(0);
    await fay.context.close();
  });

  it("device verification: one starts it from the Devices panel, the other accepts, both see the same seven emojis, both confirm; each then shows the other's device verified and the chat's shield", async () => {
    const [gil, hana] = await Promise.all([signUp(browser, stack, "gil"), signUp(browser, stack, "hana")]);
    await openChatWith(gil, hana.email);
    await send(gil, "Shall we verify?");
    await openChatWith(hana, gil.email);
    await bubble(hana.page, "Shall we verify?").waitFor({ timeout: 20_000 });
    await send(hana, "Yes, let's");
    await bubble(gil.page, "Yes, let's").waitFor({ timeout: 20_000 });
    const shield = (user: User) => user.page.getByRole("img", { name: /devices are verified$/ });
    expect(await shield(gil).count()).toBe(0);

    await gil.page.getByRole("button", { name: "Devices" }).click();
    const hanasDevices = gil.page.getByRole("list", { name: `Devices of ${hana.email}` });
    await hanasDevices.getByRole("button", { name: /^Verify device [A-Z0-9]{16}$/ }).click();
    const gilDialog = gil.page.getByRole("dialog", { name: `Verify ${hana.email}'s device` });
    await gilDialog.getByText(/^Waiting for .* to accept on that device/).waitFor();

    const request = hana.page.getByRole("alert").filter({ hasText: "wants to verify this browser by comparing emojis" });
    await request.waitFor({ timeout: 20_000 });
    await screenshot(hana.page, "24a-verification-request");
    await request.getByRole("button", { name: "Accept" }).click();
    const hanaDialog = hana.page.getByRole("dialog");
    // Focus moved into the dialog.
    await expect.poll(() => hana.page.evaluate(() => document.activeElement?.id)).toBe("verify-title");

    const emojis = (dialog: typeof gilDialog) =>
      dialog.getByRole("list", { name: "Emojis to compare" }).locator(".sas-emoji").evaluateAll((items) =>
        items.map((i) => `${i.querySelector(".symbol")?.textContent ?? ""} ${i.querySelector(".name")?.textContent ?? ""}`));
    await gilDialog.getByRole("list", { name: "Emojis to compare" }).waitFor({ timeout: 20_000 });
    await hanaDialog.getByRole("list", { name: "Emojis to compare" }).waitFor({ timeout: 20_000 });
    const gilSees = await emojis(gilDialog);
    expect(gilSees).toHaveLength(7);
    for (const e of gilSees) expect(e).toMatch(/^\S+ [A-Z][A-Za-z ]+$/);
    expect(await emojis(hanaDialog)).toEqual(gilSees);
    await screenshot(gil.page, "24b-verification-emojis");

    await gilDialog.getByRole("button", { name: "They match" }).click();
    await gilDialog.getByText("Waiting for the other device to confirm…").waitFor({ timeout: 20_000 });
    await hanaDialog.getByRole("button", { name: "They match" }).click();
    for (const dialog of [gilDialog, hanaDialog]) await dialog.getByText(/^✓ Verified/).waitFor({ timeout: 20_000 });
    await screenshot(hana.page, "24c-verification-done");
    await gilDialog.getByRole("button", { name: "Close" }).click();
    await hanaDialog.getByRole("button", { name: "Close" }).click();
    await gilDialog.waitFor({ state: "detached" });

    // Each side's Devices panel marks the other's device verified (no Verify button left), and
    // the direct chat's header shows the shield: all of the other person's devices verified.
    await hanasDevices.getByLabel("Verified").waitFor({ timeout: 10_000 });
    expect(await hanasDevices.getByRole("button", { name: /^Verify device/ }).count()).toBe(0);
    await hana.page.getByRole("button", { name: "Devices" }).click();
    await hana.page.getByRole("list", { name: `Devices of ${gil.email}` }).getByLabel("Verified").waitFor({ timeout: 10_000 });
    for (const user of [gil, hana]) await shield(user).waitFor({ timeout: 10_000 });
    expect(await shield(gil).getAttribute("aria-label")).toBe(`All of ${hana.email}'s devices are verified`);
    await screenshot(gil.page, "24d-verified-device");
    await gil.context.close();
    await hana.context.close();
  });

  // Blocking (issue 16), between two people of their own: Gil blocks Hal.
  it("blocking: the blocked person's messages never show for the blocker, who cannot write to them; after unblocking, new ones do", async () => {
    const [gil, hal] = await Promise.all([signUp(browser, stack, "gil"), signUp(browser, stack, "hal")]);
    await openChatWith(gil, hal.email);
    await send(gil, "Hi Hal");
    await openChatWith(hal, gil.email);
    await stored(hal, "Hi Hal").waitFor({ timeout: 15_000 });
    await send(hal, "Hi Gil");
    await stored(gil, "Hi Gil").waitFor({ timeout: 15_000 });
    const conversation = await gil.page.locator("button.conversation").filter({ has: gil.page.locator(".title", { hasText: hal.email }) }).getAttribute("data-conversation");
    expect(conversation).toMatch(/^d:/);

    // Gil blocks Hal from the chat's menu, asked first.
    await gil.page.getByLabel("Chat options", { exact: true }).click();
    await gil.page.getByRole("button", { name: `Block ${hal.email}…` }).click();
    const confirm = gil.page.getByRole("alertdialog", { name: `Block ${hal.email}?` });
    await confirm.getByRole("button", { name: "Block", exact: true }).click();
    const notice = gil.page.locator(".blocked-notice", { hasText: `You blocked ${hal.email}` });
    await notice.waitFor({ timeout: 15_000 });
    expect(await gil.page.getByLabel("Message", { exact: true }).count()).toBe(0);
    await screenshot(gil.page, "23-blocked");

    // Hal's next message is his (stored, one tick) but only a skip for Gil: Gil's client takes
    // its seq and shows nothing.
    await send(hal, "Can you hear me?");
    const unheard = stored(hal, "Can you hear me?");
    await unheard.waitFor({ timeout: 15_000 });
    const seq = Number(await unheard.getAttribute("data-seq"));
    await expect.poll(() => lastSeqOf(gil, conversation!), { timeout: 15_000 }).toBe(seq);
    expect(await bubble(gil.page, "Can you hear me?").count()).toBe(0);
    expect(await tickOf(hal.page, "Can you hear me?")).toBe("sent");
    expect(await gil.page.locator(".bubble[data-seq]").count()).toBe(2);

    // Unblocked from Settings: the composer is back, and Hal's next message arrives (the one
    // sent while blocked is never replayed).
    await gil.page.getByRole("button", { name: "Settings" }).click();
    const settings = gil.page.getByRole("region", { name: "Settings" });
    await settings.getByRole("list", { name: "Blocked people" }).getByText(hal.email).waitFor();
    await screenshot(gil.page, "24-settings-blocked");
    await settings.getByRole("button", { name: `Unblock ${hal.email}` }).click();
    await settings.getByRole("status").filter({ hasText: `Unblocked ${hal.email}` }).waitFor({ timeout: 15_000 });
    await settings.getByText("You have blocked no one.", { exact: false }).waitFor();
    await settings.getByRole("button", { name: "Close" }).click();
    await notice.waitFor({ state: "detached" });
    await gil.page.getByLabel("Message", { exact: true }).waitFor();
    await send(hal, "And now?");
    await stored(gil, "And now?").waitFor({ timeout: 15_000 });
    expect(Number(await stored(gil, "And now?").getAttribute("data-seq"))).toBe(seq + 1);
    expect(await bubble(gil.page, "Can you hear me?").count()).toBe(0);
    await send(gil, "Yes");
    await stored(hal, "Yes").waitFor({ timeout: 15_000 });
    await Promise.all([gil.context.close(), hal.context.close()]);
  });

  // Disappearing messages (issue 16), between two people of their own: Ivy and Jo.
  it("disappearing messages: the timer one sets shows on both sides, as a line and in the header; messages under it are marked ⏱; off again, they are not", async () => {
    const [ivy, jo] = await Promise.all([signUp(browser, stack, "ivy"), signUp(browser, stack, "jo")]);
    await openChatWith(ivy, jo.email);
    await send(ivy, "Before the timer");
    await openChatWith(jo, ivy.email);
    await stored(jo, "Before the timer").waitFor({ timeout: 15_000 });
    const line = (user: User, text: string) => user.page.locator(".system", { hasText: new RegExp(`^${text.replace(/[.+?]/g, "\\$&")}$`) });
    const header = (user: User) => user.page.locator(".chat .timer-on");
    const timerChoice = async (user: User, label: string) => {
      await user.page.getByLabel("Chat options", { exact: true }).click();
      await user.page.getByRole("group", { name: "Disappearing messages" }).getByRole("button", { name: label, exact: true }).click();
    };

    await timerChoice(ivy, "7 days");
    await line(ivy, "You set disappearing messages to 7 days").waitFor({ timeout: 15_000 });
    await line(jo, `${ivy.email} set disappearing messages to 7 days`).waitFor({ timeout: 15_000 });
    for (const user of [ivy, jo]) await expect.poll(() => header(user).textContent(), { timeout: 15_000 }).toBe("⏱ Disappearing messages: 7 days");

    // Sent under it: marked on both sides (the other's copy says when from the server, the
    // sender's own from the timer its seq came after).
    await send(jo, "This will go");
    const mark = (user: User, text: string) => stored(user, text).getByRole("img", { name: /^Disappears / });
    for (const user of [ivy, jo]) await mark(user, "This will go").waitFor({ timeout: 15_000 });
    expect(await mark(ivy, "Before the timer").count()).toBe(0);
    // The menu shows the timer in force, on the other side too.
    await jo.page.getByLabel("Chat options", { exact: true }).click();
    expect(await jo.page.getByRole("group", { name: "Disappearing messages" }).getByRole("button", { name: "7 days", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await screenshot(jo.page, "25-disappearing");
    await jo.page.getByLabel("Chat options", { exact: true }).click();

    // Jo turns it off: the line on both sides, the header's mark gone, the next message kept.
    await timerChoice(jo, "Off");
    await line(jo, "You turned off disappearing messages").waitFor({ timeout: 15_000 });
    await line(ivy, `${jo.email} turned off disappearing messages`).waitFor({ timeout: 15_000 });
    for (const user of [ivy, jo]) await header(user).waitFor({ state: "detached", timeout: 15_000 });
    await send(ivy, "This stays");
    await stored(jo, "This stays").waitFor({ timeout: 15_000 });
    for (const user of [ivy, jo]) expect(await mark(user, "This stays").count()).toBe(0);
    await Promise.all([ivy.context.close(), jo.context.close()]);
  });

  it("web and CLI read each other's encrypted messages and files (issue 15), and the canary scan finds none of them anywhere on the server", async () => {
    const wren = await signUp(browser, stack, "wren");
    const ivo = await cliSignUp(stack, "ivo");
    const canary = () => `canary-${randomBytes(16).toString("hex")}`;
    // Texts, files' contents and files' names, each way.
    const toWeb = { text: canary(), file: canary(), name: canary() };
    const toCli = { text: canary(), file: canary(), name: canary() };
    const chat = cliChat(stack, ivo, wren.email);
    await chat.line("the catch-up", (l) => l.event === "connection" && l.state === "synced");

    // The CLI writes first (its device and keys then exist when the browser encrypts for it).
    chat.type(toWeb.text);
    await chat.line("its send stored", (l) => l.event === "tick" && l.tick === "sent");
    await openChatWith(wren, ivo.email);
    await bubble(wren.page, toWeb.text).waitFor({ timeout: 20_000 });

    // The browser answers with a text and a file: the CLI prints both decrypted.
    const readByCli = (l: Record<string, unknown>) => (l.event === "message" || l.event === "decrypted") && l.encryption === "decrypted";
    await send(wren, toCli.text);
    const got = await chat.line("the browser's text, decrypted", (l) => readByCli(l) && l.body === toCli.text);
    expect(got.from).not.toBe(ivo.userId);
    const fileToCli = Buffer.from(`${toCli.file}\n`);
    await wren.page.getByLabel("File to send").setInputFiles({ name: `${toCli.name}.txt`, mimeType: "text/plain", buffer: fileToCli });
    const fileLine = await chat.line(
      "the browser's file, decrypted",
      (l) => readByCli(l) && (l.attachment as { name?: string } | null)?.name === `${toCli.name}.txt`,
    );
    const ended = await chat.end();
    expect(ended.code, ended.stderr).toBe(0);

    // The CLI downloads the browser's file whole.
    const dir = mkdtempSync(`${tmpdir()}/parley-web-e2e-files-`);
    const saved = `${dir}/from-web.txt`;
    const download = await parley(stack, ivo.home, ["download", (fileLine.attachment as { key: string }).key, saved]);
    expect(download.code, download.stderr).toBe(0);
    expect(readFileSync(saved).equals(fileToCli)).toBe(true);

    // The CLI sends a file: the browser shows it and downloads it whole.
    const fileToWeb = Buffer.from(`${toWeb.file}\n`);
    writeFileSync(`${dir}/${toWeb.name}.txt`, fileToWeb);
    const upload = await parley(stack, ivo.home, ["upload", wren.email, `${dir}/${toWeb.name}.txt`]);
    expect(upload.code, upload.stderr).toBe(0);
    const link = wren.page.getByRole("button", { name: new RegExp(`^Download ${toWeb.name}\\.txt`) });
    await link.waitFor({ timeout: 20_000 });
    const [downloaded] = await Promise.all([wren.page.waitForEvent("download"), link.click()]);
    expect(readFileSync(await downloaded.path()).equals(fileToWeb)).toBe(true);

    // None of them in any table, object, log line, SNS publish or post body, raw or encoded.
    const scan = (needles: string[]) =>
      run(CANARY_SCAN, ["--stack", stack.stackFile, "--log", stack.logFile, "--posts", stack.postsFile, ...needles]);
    const canaries = [toWeb, toCli].flatMap((c) => [c.text, c.file, c.name]);
    const clean = await scan(canaries);
    expect(clean.code, `${clean.stdout}\n${clean.stderr}`).toBe(0);
    expect(clean.stdout).toContain(`none of ${canaries.length} canaries found`);
    // The same scan of this stack finds what is there: the conversation's id, stored in the
    // tables and posted to both clients.
    const control = await scan([got.conversation as string]);
    expect(control.code, control.stderr).toBe(1);
    expect(control.stdout).toMatch(/ found in DynamoDB: /);
    expect(control.stdout).toMatch(/ found in @connections posts: /);
    await wren.context.close();
  });

  // Last: it judges every scenario before it.
  it("every page ran under the deployed Content-Security-Policy (local endpoints) without a violation", async () => {
    const page = await fetch(stack.webUrl);
    const csp = page.headers.get("content-security-policy") ?? "";
    const connect = csp.split("; ").find((d) => d.startsWith("connect-src "));
    expect(connect).toBe(`connect-src 'self' ${new URL(stack.websocketUrl).origin} ${stack.awsEndpoint}`);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(cspViolations).toEqual([]);

    // The policy is enforced and the watch reports it: a connection it does not name fails.
    const context = await browser.newContext();
    await watchCsp(context, "probe");
    const probe = await context.newPage();
    await probe.goto(stack.webUrl);
    await probe.getByRole("heading", { name: "Sign in to Parley" }).waitFor();
    const refused = await probe.evaluate(() => fetch("https://example.com/").then(() => false, () => true));
    expect(refused).toBe(true);
    await expect.poll(() => cspViolations).toEqual(["[probe] connect-src blocked https://example.com/"]);
    await context.close();
  });
});

