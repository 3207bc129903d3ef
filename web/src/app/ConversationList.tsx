/**
 * The conversations: pinned ones first, then the rest by latest message, each with its unread
 * count, last message and the user's marks (pinned, muted, marked unread); archived chats
 * apart, under "Archived". Each row has a menu to mute, pin, archive or mark it unread.
 */
import { listTime, preview } from "./format";
import type { ChatKey, ChatModel, Summary } from "./model";

export function ConversationList(props: { model: ChatModel; selected: ChatKey | undefined; onOpen: (chat: ChatKey) => void }) {
  const { model } = props;
  if (model.summaries.length === 0) return <p class="empty">No chats yet.</p>;
  const rows = (list: Summary[]) => list.map((s) => <Row key={s.conversation} {...props} summary={s} />);
  return (
    <div class="conversation-lists">
      {model.settingsError !== undefined && (
        <p class="settings-error" role="alert">
          {model.settingsError}
        </p>
      )}
      <ul class="conversations" aria-label="Conversations">
        {rows(model.listed)}
      </ul>
      {model.archived.length > 0 && (
        <details class="archived">
          <summary>Archived ({model.archived.length})</summary>
          <ul class="conversations" aria-label="Archived conversations">
            {rows(model.archived)}
          </ul>
        </details>
      )}
    </div>
  );
}

function Row(props: { model: ChatModel; selected: ChatKey | undefined; onOpen: (chat: ChatKey) => void; summary: Summary }) {
  const { model, summary: s } = props;
  const selected = props.selected !== undefined ? model.resolve(props.selected) : undefined;
  const current = selected !== undefined && "conversation" in selected && selected.conversation === s.conversation;
  const label = (id: string) => model.contacts.label(id);
  const title = model.title({ conversation: s.conversation });
  const settings = model.settings(s.conversation);
  const muted = model.muted(s.conversation);
  return (
    <li class="conversation-row" data-pinned={settings.pinned ? "true" : undefined}>
      <button
        type="button"
        class={`conversation ${current ? "current" : ""}`}
        aria-current={current ? "true" : undefined}
        data-conversation={s.conversation}
        onClick={() => props.onOpen({ conversation: s.conversation })}
      >
        <span class="title">
          {title}
          {settings.pinned && <span class="mark" role="img" aria-label="pinned">📌</span>}
          {muted && <span class="mark" role="img" aria-label="muted">🔕</span>}
        </span>
        <span class="time">{s.last !== undefined ? listTime(s.last.ts) : ""}</span>
        <span class="preview">{s.last !== undefined ? preview(s.last, label) : ""}</span>
        {s.unread > 0 && (
          <span class="unread" aria-label={`${s.unread} unread`}>
            {s.unread >= 100 ? "99+" : s.unread}
          </span>
        )}
        {s.unread === 0 && settings.unread && <span class="unread marked" aria-label="marked unread" />}
      </button>
      <ChatMenu model={model} conversation={s.conversation} title={title} />
    </li>
  );
}

/** The chat's settings menu: each choice goes to the server, and to the user's other devices. */
function ChatMenu(props: { model: ChatModel; conversation: string; title: string }) {
  const { model, conversation } = props;
  const settings = model.settings(conversation);
  const muted = model.muted(conversation);
  const act = (change: Parameters<ChatModel["setChat"]>[1]) => (event: Event) => {
    (event.currentTarget as HTMLElement).closest("details")?.removeAttribute("open");
    void model.setChat(conversation, change);
  };
  return (
    <details class="chat-menu">
      <summary aria-label={`Options for ${props.title}`} title="Options">⋯</summary>
      <div class="menu" role="group" aria-label={`Settings of ${props.title}`}>
        <button type="button" onClick={act({ pinned: !settings.pinned })}>{settings.pinned ? "Unpin" : "Pin"}</button>
        {muted ? (
          <button type="button" onClick={act({ mute: "off" })}>Unmute</button>
        ) : (
          <>
            <button type="button" onClick={act({ mute: "8h" })}>Mute for 8 hours</button>
            <button type="button" onClick={act({ mute: "1w" })}>Mute for 1 week</button>
            <button type="button" onClick={act({ mute: "always" })}>Mute always</button>
          </>
        )}
        <button type="button" onClick={act({ archived: !settings.archived })}>{settings.archived ? "Unarchive" : "Archive"}</button>
        <button type="button" onClick={act({ unread: !settings.unread })}>{settings.unread ? "Mark as read" : "Mark as unread"}</button>
      </div>
    </details>
  );
}
