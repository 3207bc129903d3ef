/**
 * Debian's Chromium through playwright-core (never a downloaded browser), headless and quiet
 * offline, and the steps a person takes in the app, as helpers the scenarios share: each user
 * is a browser context of its own (its own storage, IndexedDB and tokens).
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import type { Stack } from "./stack";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = new URL("../../target/web-screenshots/", import.meta.url).pathname;
export const PASSWORD = "Correct-Horse-9-battery";

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export interface User {
  /** What the user signed up with: an email address, or a phone number in E.164. */
  email: string;
  context: BrowserContext;
  page: Page;
}

/**
 * The Content-Security-Policy violations pages of this run reported ("[user] directive blocked
 * URI"): the local stack serves the app with the deployed policy (its endpoints made local),
 * and a scenario that passes while the policy blocked something would hide a broken deploy.
 */
export const cspViolations: string[] = [];

/** Reports every `securitypolicyviolation` of the context's pages into [`cspViolations`]. */
export async function watchCsp(context: BrowserContext, name: string): Promise<void> {
  // A binding, not a page variable: it outlives reloads and navigations.
  await context.exposeBinding("parleyCspViolation", (_source, text: string) => {
    cspViolations.push(`[${name}] ${text}`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { parleyCspViolation: (text: string) => void }).parleyCspViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI}`);
    });
  });
}

let counter = 0;
export function uniqueEmail(name: string): string {
  return `${name}-${Date.now()}-${++counter}@example.com`;
}

/** The newest code the local outbox holds for an address. */
async function codeFor(stack: Stack, address: string): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(
      async () => {
        const response = await fetch(`${stack.awsEndpoint}/_devstack/outbox.json?to=${encodeURIComponent(address)}`);
        const outbox = (await response.json()) as { messages: { code: string }[] };
        code = outbox.messages[0]?.code;
        return code;
      },
      { timeout: 15_000 },
    )
    .toBeDefined();
  return code!;
}

/** A phone number nobody else in this run has (E.164, a fictional +1 555 range). */
export function uniquePhone(): string {
  return `+1555${String(Date.now() % 10_000_000).padStart(7, "0")}`;
}

/**
 * A person opens the app, signs up with an email address (or, `phone`, a phone number),
 * confirms with the code the local outbox got, and is in.
 */
export async function signUp(
  browser: Browser,
  stack: Stack,
  name: string,
  options: { phone?: boolean; wrongCodeFirst?: boolean } = {},
): Promise<User> {
  const email = options.phone === true ? uniquePhone() : uniqueEmail(name);
  const viewport = { width: 1100, height: 760 };
  const context = await browser.newContext({ viewport });
  await watchCsp(context, name);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[${name}] page error:`, error));
  page.on("response", (response) => {
    if (response.status() >= 400) console.error(`[${name}] HTTP ${response.status()} ${response.request().method()} ${response.url().slice(0, 100)} ${response.request().headers()["x-amz-target"] ?? ""}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") console.error(`[${name}] console: ${message.text().replace(/token=[^&' ]+/, "token=…").slice(0, 300)}`);
  });
  await page.goto(stack.webUrl);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel(/Email or phone/).fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { name: "Confirm your account" }).waitFor();
  if (options.wrongCodeFirst === true) {
    // A wrong code is refused with Cognito's message; a new code replaces the first.
    const first = await codeFor(stack, email);
    await page.getByLabel("Code").fill(first === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("alert").filter({ hasText: /Invalid verification code/ }).waitFor();
    await page.getByRole("button", { name: "Send a new code" }).click();
    await expect.poll(() => codeFor(stack, email), { timeout: 15_000 }).not.toBe(first);
  }
  await page.getByLabel("Code").fill(await codeFor(stack, email));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await online(page);
  return { email, context, page };
}

/**
 * The connection is up: the signed-in screen shows, without its offline banner. (No banner
 * alone is also what a page still loading shows, before the screen that would carry it: a
 * request made then, such as a lookup, fails "not connected".)
 */
export async function online(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 20_000 });
  await page.getByText(/^Offline/).waitFor({ state: "detached", timeout: 20_000 });
}

/** Opens (or starts) the direct chat with someone, found by email. */
export async function openChatWith(user: User, email: string): Promise<void> {
  await user.page.getByLabel("Email or phone to chat with").fill(email);
  await user.page.getByRole("button", { name: "Chat", exact: true }).click();
  await user.page.getByRole("heading", { name: email }).waitFor();
}

export async function send(user: User, text: string): Promise<void> {
  const box = user.page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

/** The bubble holding exactly this text. */
export function bubble(page: Page, text: string) {
  return page.locator(".bubble").filter({ has: page.locator(".body", { hasText: new RegExp(`^${escape(text)}$`) }) });
}

export async function tickOf(page: Page, text: string): Promise<string | null> {
  const tick = bubble(page, text).locator("[data-tick]");
  return (await tick.count()) === 0 ? null : tick.first().getAttribute("data-tick");
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Writes a direct conversation of `count` messages (with "bench-other-user", every third one
 * own and read) straight into the user's IndexedDB store, in the client library's schema
 * (src/client/store.ts): long histories without sending each message through the stack's
 * rate limit. The page must be signed in; reload it afterwards.
 */
export async function seedConversation(user: User, count: number): Promise<void> {
  await user.page.evaluate(
    async ({ count }) => {
      const dbs = await indexedDB.databases();
      // The client's store, not the encryption engine's (parley-crypto-…).
      const name = dbs.map((d) => d.name).find((n) => n?.startsWith("parley-") && !n.startsWith("parley-crypto-"))!;
      const me = name.slice("parley-".length);
      const other = "bench-other-user";
      const conversation = `d:${me}:${other}`;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const tx = db.transaction(["messages", "conversations"], "readwrite");
      const start = Date.now() - count * 60_000;
      for (let seq = 1; seq <= count; seq++) {
        const own = seq % 3 === 0;
        tx.objectStore("messages").put({
          conversation, seq, messageId: `m${seq}`, id: `i${seq}`, from: own ? me : other, ts: start + seq * 60_000, own,
          body: `Message ${seq}: ${"lorem ipsum ".repeat(1 + (seq % 7))}`,
          ...(own ? { tick: "read", recipients: [other] } : {}),
        });
      }
      tx.objectStore("conversations").put({
        conversation, lastSeq: count, members: [me, other], kind: "direct", marks: { [other]: { delivered: count, read: count } },
        deliveredMark: count, readMark: count, deliveredAcked: count, readAcked: count,
      });
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { count },
  );
}

/**
 * The highest seq the user's client library has taken in a conversation, in order (its
 * store's `lastSeq`, src/client/store.ts): a message shown, or an entry skipped.
 */
export async function lastSeqOf(user: User, conversation: string): Promise<number> {
  return user.page.evaluate(async (conversation) => {
    const dbs = await indexedDB.databases();
    const name = dbs.map((d) => d.name).find((n) => n?.startsWith("parley-") && !n.startsWith("parley-crypto-"))!;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const record = await new Promise<{ lastSeq: number } | undefined>((resolve, reject) => {
      const get = db.transaction("conversations").objectStore("conversations").get(conversation);
      get.onsuccess = () => resolve(get.result as { lastSeq: number } | undefined);
      get.onerror = () => reject(get.error);
    });
    db.close();
    return record?.lastSeq ?? 0;
  }, conversation);
}
