/**
 * Blocking as the chat screens show it: whom a direct chat is with, and why a message was not
 * sent when the reason is that this user blocks the other (the server refuses it `forbidden`,
 * "unblock this user to message them"): said plainly, with the person's name, rather than
 * as a generic failure.
 */
import type { OutboxRecord } from "../client";
import type { ChatKey, ChatModel } from "./model";

/** The other person of a direct chat (undefined for a group or a chat not known yet). */
export function directPartner(model: ChatModel, chat: ChatKey): string | undefined {
  if ("toUser" in chat) return chat.toUser;
  const record = model.summary(chat.conversation)?.record;
  return record?.kind === "direct" ? record.members.find((m) => m !== model.me.userId) : undefined;
}

/** Why an outbox record failed, for the person who wrote it. */
export function refusalText(model: ChatModel, record: OutboxRecord): string {
  const error = record.error;
  if (error === undefined) return "refused";
  if (error.code === "forbidden") {
    const frame = record.frame;
    const other = frame.toUser ?? (frame.conversation !== undefined ? directPartner(model, { conversation: frame.conversation }) : undefined);
    if (other !== undefined && model.blocks(other)) return `you blocked ${model.contacts.label(other)}; unblock them to send them messages`;
  }
  return error.message;
}
