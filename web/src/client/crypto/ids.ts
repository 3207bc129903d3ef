// Parley's ids as the Matrix ids the OlmMachine checks (docs/proposals/e2e-encryption.md §3):
// user `@<user id>:parley`, Megolm room `!<conversation id, ':' → '.'>:parley`, event
// `$<message id>`. The same rule as the Rust client (client/src/crypto/ids.rs): both clients
// must derive the same ids, and the server name is fixed so ids match in every environment.

/** The server name of every Matrix id Parley makes. */
export const SERVER_NAME = "parley";

/** `@<user>:parley`. */
export function matrixUser(user: string): string {
  return `@${user}:${SERVER_NAME}`;
}

/** The Parley user id of a Matrix user id of Parley's; undefined for any other. */
export function parleyUser(matrixId: string): string | undefined {
  const suffix = `:${SERVER_NAME}`;
  if (!matrixId.startsWith("@") || !matrixId.endsWith(suffix)) return undefined;
  const local = matrixId.slice(1, -suffix.length);
  return local.length > 0 && !local.includes(":") ? local : undefined;
}

/** The conversation's Megolm room id; `:` becomes `.` (user ids contain neither: one to one). */
export function roomId(conversation: string): string {
  return `!${conversation.replaceAll(":", ".")}:${SERVER_NAME}`;
}

/** `$<message id>`. */
export function eventId(messageId: string): string {
  return `$${messageId}`;
}

/**
 * The id a synced state's change entry is opened under: the state leaves out the entry's own
 * message id, so one is made from its seq. Without `:` (event ids take one only before a
 * server name: `<conversation>:<seq>` is refused), the same as the Rust client's.
 */
export function snapshotEntryId(conversation: string, seq: number): string {
  return `${conversation.replaceAll(":", ".")}.${seq}`;
}
