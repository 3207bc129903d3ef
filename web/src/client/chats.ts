/**
 * The user's chat settings (mute, archive, pin, mark as unread), as the server holds them: the
 * same on all of the user's devices. A `chat` frame (the reply to this device's change, or
 * another device's change, live) replaces one conversation's settings; the `chats` listing the
 * client asks for on every connect replaces them all (conversations not in it have the
 * defaults). Kept in memory only: each connect brings the list again.
 */
import type { ChatSettings, ConversationId, Mute } from "@parley/protocol";

export type { ChatSettings, Mute };

/** What `setChat` changes; a setting left out stays as it is. */
export interface ChatChange {
  mute?: Mute;
  archived?: boolean;
  pinned?: boolean;
  unread?: boolean;
}

/** `mutedUntil` of a conversation muted for good. */
export const MUTED_ALWAYS = -1;
/** Chats one user may pin (the server refuses a fourth with `too_large`). */
export const MAX_PINNED = 3;

export function defaultSettings(conversation: ConversationId): ChatSettings {
  return { conversation, archived: false, pinned: false, unread: false };
}

/** Whether notifications of the chat are held back at `nowMs`. */
export function isMuted(settings: ChatSettings, nowMs: number): boolean {
  const until = settings.mutedUntil;
  return until === MUTED_ALWAYS || (until !== undefined && until > nowMs);
}

export class ChatSettingsBook {
  private readonly byConversation = new Map<ConversationId, ChatSettings>();

  get(conversation: ConversationId): ChatSettings {
    return this.byConversation.get(conversation) ?? defaultSettings(conversation);
  }

  /** One conversation's settings as they now stand. */
  apply(settings: ChatSettings): void {
    this.byConversation.set(settings.conversation, { ...settings });
  }

  /** The whole list from `chats`: whatever is not in it has the defaults. */
  replace(list: readonly ChatSettings[]): void {
    this.byConversation.clear();
    for (const settings of list) this.apply(settings);
  }
}

/**
 * Orders a chat list: pinned chats first, then the rest, each by latest activity; archived
 * chats apart (a pinned chat that is archived is listed with the archived ones).
 */
export function arrange<T extends { conversation: ConversationId; lastTs: number }>(
  chats: readonly T[],
  book: ChatSettingsBook,
): { listed: T[]; archived: T[] } {
  const newest = (a: T, b: T) => b.lastTs - a.lastTs;
  const archived = chats.filter((c) => book.get(c.conversation).archived).sort(newest);
  const rest = chats.filter((c) => !book.get(c.conversation).archived);
  const pinned = rest.filter((c) => book.get(c.conversation).pinned).sort(newest);
  const others = rest.filter((c) => !book.get(c.conversation).pinned).sort(newest);
  return { listed: [...pinned, ...others], archived };
}
