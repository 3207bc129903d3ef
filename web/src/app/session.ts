/**
 * A signed-in session: the user's IndexedDB store, this browser's encrypting device, the
 * ParleyClient on them (connected with the Cognito ID token), and the UI's model. Opened
 * after sign-in or, on a reload, from the tokens Amplify kept; closed on sign-out, which also
 * deletes this browser's copy of the user's messages and its device's keys (a shared computer
 * keeps nothing of them; signing in again makes a new device, which cannot read what was
 * sent before it).
 *
 * The device (issue 15): an id made once per browser and user, kept in localStorage with the
 * time it was made, and the encryption engine's own IndexedDB store. One tab at a time owns
 * it (a Web Lock): two tabs on one store would fork its ratchets. The engine (2 MB of wasm)
 * is imported here, after sign-in, so the first page load does not carry it.
 */
import { deleteDB } from "idb";
import type { CognitoAuth } from "../auth/cognito";
import type { StackConfig } from "../auth/stack";
import { openIdbStore, ParleyClient, type ClientStore, type MessageEncryption } from "../client";
import { Contacts } from "./contacts";
import { ChatModel } from "./model";

export interface Me {
  userId: string;
  username: string;
}

export interface Session {
  me: Me;
  client: ParleyClient;
  model: ChatModel;
  store: ClientStore;
  /** This browser's device. */
  encryption: MessageEncryption;
  /** Removes the page-level listeners and lets another tab have the device. */
  detach: () => void;
}

/** This browser's device of a user: its id (sent as `?device=`) and when it was made. */
export interface DeviceRecord {
  id: string;
  createdAt: number;
}

const deviceKey = (userId: string) => `parley.device.${userId}`;

/** The user's device in this browser, made on first use: 16 characters of [A-Z0-9]. */
export function deviceOf(userId: string, now = Date.now()): DeviceRecord {
  const kept = localStorage.getItem(deviceKey(userId));
  if (kept !== null) return JSON.parse(kept) as DeviceRecord;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => alphabet[b % alphabet.length]).join("");
  const record = { id, createdAt: now };
  localStorage.setItem(deviceKey(userId), JSON.stringify(record));
  return record;
}

/** How long a tab waits for another tab of the same user to let go of the device. */
const LOCK_WAIT_MS = 5_000;

/**
 * Holds the Web Lock on the user's device until the returned function is called; refuses
 * when another tab keeps it (after LOCK_WAIT_MS: a reload lets go as the old page unloads).
 */
function lockDevice(userId: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(`parley-device-${userId}`, { signal: AbortSignal.timeout(LOCK_WAIT_MS) }, () => new Promise<void>((release) => resolve(release)))
      .catch(() => reject(new Error("Parley is open in another tab of this browser: use that one, or close it and reload.")));
  });
}

const USERNAME_KEY = "parley.username";

export function databaseName(userId: string): string {
  return `parley-${userId}`;
}

export function rememberUsername(username: string): void {
  localStorage.setItem(USERNAME_KEY, username);
}

export async function openSession(
  config: StackConfig,
  auth: CognitoAuth,
  userId: string,
  notify: (title: string, body: string, conversation: string) => void,
): Promise<Session> {
  const me = { userId, username: localStorage.getItem(USERNAME_KEY) ?? "me" };
  const unlock = await lockDevice(userId);
  const device = deviceOf(userId);
  const openEncryption = async () => {
    const { initCrypto, DeviceEncryption } = await import("../client/crypto");
    await initCrypto();
    return DeviceEncryption.open(userId, device.id, device.createdAt);
  };
  // The engine loads while the messages' store opens.
  const [encryption, store] = await Promise.all([openEncryption(), openIdbStore(databaseName(userId))]).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const client = new ParleyClient({ websocketUrl: config.websocketUrl, userId, tokenProvider: auth.tokenProvider, store, encryption });
  const model = new ChatModel(client, new Contacts(me), me, notify);
  // The model reads what the store holds before the socket opens: a reload shows history at once.
  await model.start();
  await client.start();
  // The browser knows before TCP does: going offline drops the socket at once (the banner
  // shows, sends wait in the outbox), and coming back reconnects now instead of after the
  // backoff's wait.
  const reconnect = () => client.connection.reconnectNow();
  window.addEventListener("offline", reconnect);
  window.addEventListener("online", reconnect);
  const detach = () => {
    window.removeEventListener("offline", reconnect);
    window.removeEventListener("online", reconnect);
    unlock();
  };
  return { me, client, model, store, encryption, detach };
}

export async function closeSession(session: Session, auth: CognitoAuth): Promise<void> {
  // While still connected: the server forgets the device (where it can), its contacts stop
  // encrypting for it.
  await session.client.removeDevice();
  session.detach();
  session.model.stop();
  session.client.stop();
  session.store.close();
  const device = session.encryption.deviceId;
  session.encryption.close();
  await deleteDB(databaseName(session.me.userId));
  const { cryptoDatabases } = await import("../client/crypto");
  for (const name of cryptoDatabases(session.me.userId, device)) await deleteDB(name);
  localStorage.removeItem(deviceKey(session.me.userId));
  localStorage.removeItem(USERNAME_KEY);
  await auth.signOut();
}
