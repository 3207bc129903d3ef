/** Conversation ids a client may derive itself (docs/protocol.md). */

/**
 * The direct chat of two users: `d:<lower id>:<higher id>`, the server's rule
 * (protocol/src/ids.rs `ConversationId::direct`). An encrypting client needs it before the
 * first message: the conversation's id is inside the ciphertext (memo §3).
 */
export function directConversation(a: string, b: string): string {
  const [low, high] = a <= b ? [a, b] : [b, a];
  return `d:${low}:${high}`;
}
