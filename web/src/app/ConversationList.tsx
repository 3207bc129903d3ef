/** The conversations, latest message first, each with its unread count and last message. */
import { listTime, preview } from "./format";
import type { ChatKey, ChatModel } from "./model";

export function ConversationList(props: { model: ChatModel; selected: ChatKey | undefined; onOpen: (chat: ChatKey) => void }) {
  const { model } = props;
  const selected = props.selected !== undefined ? model.resolve(props.selected) : undefined;
  if (model.summaries.length === 0) return <p class="empty">No chats yet.</p>;
  return (
    <ul class="conversations" aria-label="Conversations">
      {model.summaries.map((s) => {
        const current = selected !== undefined && "conversation" in selected && selected.conversation === s.conversation;
        const label = (id: string) => model.contacts.label(id);
        return (
          <li key={s.conversation}>
            <button
              type="button"
              class={`conversation ${current ? "current" : ""}`}
              aria-current={current ? "true" : undefined}
              data-conversation={s.conversation}
              onClick={() => props.onOpen({ conversation: s.conversation })}
            >
              <span class="title">{model.title({ conversation: s.conversation })}</span>
              <span class="time">{s.last !== undefined ? listTime(s.last.ts) : ""}</span>
              <span class="preview">{s.last !== undefined ? preview(s.last, label) : ""}</span>
              {s.unread > 0 && (
                <span class="unread" aria-label={`${s.unread} unread`}>
                  {s.unread >= 100 ? "99+" : s.unread}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
