/**
 * A signed-in session: the user's IndexedDB store, the ParleyClient on it (connected with the
 * Cognito ID token), and the UI's model. Opened after sign-in or, on a reload, from the
 * tokens Amplify kept; closed on sign-out, which also deletes this browser's copy of the
 * user's messages (a shared computer keeps nothing of them).
 */
import { deleteDB } from "idb";
import type { CognitoAuth } from "../auth/cognito";
import type { StackConfig } from "../auth/stack";
import { openIdbStore, ParleyClient, type ClientStore } from "../client";
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
  /** Removes the page-level listeners. */
  detach: () => void;
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
  const store = await openIdbStore(databaseName(userId));
  const client = new ParleyClient({ websocketUrl: config.websocketUrl, userId, tokenProvider: auth.tokenProvider, store });
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
  };
  return { me, client, model, store, detach };
}

export async function closeSession(session: Session, auth: CognitoAuth): Promise<void> {
  session.detach();
  session.model.stop();
  session.client.stop();
  session.store.close();
  await deleteDB(databaseName(session.me.userId));
  localStorage.removeItem(USERNAME_KEY);
  await auth.signOut();
}
