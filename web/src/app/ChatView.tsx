/**
 * One chat: its header (name, "typing…", group info; in a direct chat the other person's
 * "online" or "last seen", watched only while the chat is open), the messages (the latest page
 * from the local store at once, older pages as the user scrolls up, new ones live), read
 * marking while the tab is visible, and the composer. The messages' actions land here: reply
 * and edit set the composer's mode, forward opens the chat picker, a tapped quote loads and
 * scrolls to its original. Its menu (ChatOptions) sets the disappearing-messages timer (shown
 * beside the title while on; messages that expire leave the list at once) and blocks or
 * unblocks the other person of a direct chat; while they are blocked, the composer gives way
 * to a notice saying so.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { timerLabel, type PresenceState, type StoredMessage } from "../client";
import { directPartner } from "./blocking";
import { ChatOptions } from "./ChatOptions";
import { Composer } from "./Composer";
import { isLine, lastSeenText } from "./format";
import { ForwardPanel } from "./ForwardPanel";
import { DevicesPanel } from "./DevicesPanel";
import { GroupPanel } from "./GroupPanel";
import { MessageList } from "./MessageList";
import type { RowActions } from "./MessageRow";
import type { ChatKey, ChatModel } from "./model";
import { TrustShield } from "./Verification";

/** Messages read from the store per page: enough to fill a tall screen. */
export const PAGE = 60;
/** How long a message a quote jumped to stays highlighted. */
const HIGHLIGHT_MS = 3_000;

/** `update` merged into `list` by seq (each seq once, the newer copy winning). */
export function merge(list: StoredMessage[], update: StoredMessage[]): StoredMessage[] {
  const bySeq = new Map(list.map((m) => [m.seq, m]));
  for (const m of update) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function ChatView(props: { model: ChatModel; chat: ChatKey; onBack: () => void }) {
  const { model } = props;
  const chat = model.resolve(props.chat);
  const conversation = "conversation" in chat ? chat.conversation : undefined;
  const summary = conversation !== undefined ? model.summary(conversation) : undefined;
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [showInfo, setShowInfo] = useState(false);
  const [showDevices, setShowDevices] = useState(false);
  // What a screen reader announces: each message that arrives from someone else. The list
  // itself is not a live region: its virtualized rows come and go as it scrolls.
  const [announcement, setAnnouncement] = useState("");
  const [replyTo, setReplyTo] = useState<StoredMessage | undefined>(undefined);
  const [editing, setEditing] = useState<StoredMessage | undefined>(undefined);
  const [forwarding, setForwarding] = useState<StoredMessage | undefined>(undefined);
  const [focus, setFocus] = useState<{ seq: number; n: number } | undefined>(undefined);
  const [presence, setPresence] = useState<PresenceState>({ kind: "unknown" });
  const focusTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const messagesRef = useRef<StoredMessage[]>([]);
  messagesRef.current = messages;

  useEffect(() => {
    if (conversation === undefined) return;
    let live = true;
    const unsubscribe = model.client.subscribe({
      message: (m) => {
        if (m.conversation !== conversation) return;
        setMessages((current) => merge(current, [m]));
        if (!m.own && !isLine(m)) {
          const what = m.body ?? `a file, ${m.attachment?.name ?? ""}`;
          setAnnouncement(`${model.contacts.label(m.from)}: ${what}`);
        }
      },
      // Disappearing messages whose time ran out leave the screen at once.
      expired: (gone) => {
        const seqs = new Set(gone.filter((g) => g.conversation === conversation).map((g) => g.seq));
        if (seqs.size > 0) setMessages((current) => current.filter((m) => !seqs.has(m.seq)));
      },
    });
    void model.client.history(conversation, { limit: PAGE }).then((page) => {
      if (!live) return;
      setMessages((current) => merge(page, current));
      setHasOlder((page[0]?.seq ?? 1) > 1);
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [conversation]);

  // The other person's presence, watched while this direct chat is open (and only then).
  const other = directPartner(model, chat);
  useEffect(() => {
    if (other === undefined) return;
    return model.client.watchPresence(other, setPresence);
  }, [other]);

  useEffect(() => () => clearTimeout(focusTimer.current), []);

  // Opening a chat clears its "marked unread" mark (on all of the user's devices).
  useEffect(() => {
    if (conversation !== undefined) void model.opened(conversation);
  }, [conversation]);

  const loadOlder = async () => {
    const first = messages[0];
    if (conversation === undefined || first === undefined) return;
    const page = await model.client.history(conversation, { beforeSeq: first.seq, limit: PAGE });
    setMessages((current) => merge(page, current));
    setHasOlder((page[0]?.seq ?? 1) > 1 && page.length > 0);
  };

  /** Brings a message into view (loading it from the store first) and highlights it. */
  const jump = async (seq: number) => {
    const first = messagesRef.current[0];
    if (conversation === undefined) return;
    if (first !== undefined && seq < first.seq) {
      const page = await model.client.history(conversation, { beforeSeq: first.seq, limit: first.seq - seq + 5 });
      setMessages((current) => merge(page, current));
      setHasOlder((page[0]?.seq ?? 1) > 1 && page.length > 0);
    }
    setFocus((current) => ({ seq, n: (current?.n ?? 0) + 1 }));
    clearTimeout(focusTimer.current);
    focusTimer.current = setTimeout(() => setFocus(undefined), HIGHLIGHT_MS);
  };

  const actions: RowActions = {
    reply: (message) => {
      setEditing(undefined);
      setReplyTo(message);
    },
    edit: (message) => {
      setReplyTo(undefined);
      setEditing(message);
    },
    forward: setForwarding,
    jump: (seq) => void jump(seq),
    quoted: (seq) => messagesRef.current.find((m) => m.seq === seq),
  };

  // Read: what is on screen while the tab is visible (a hidden tab reads nothing).
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;
  useEffect(() => {
    if (conversation === undefined) return;
    const mark = () => {
      if (document.visibilityState === "visible" && lastSeq > (summary?.record.readMark ?? 0)) {
        void model.markRead(conversation, lastSeq);
      }
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [conversation, lastSeq, summary?.record.readMark]);

  const record = summary?.record;
  const isGroup = record?.kind === "group";
  const member = !isGroup || record.members.includes(model.me.userId);
  const typing = conversation !== undefined ? model.typingIn(conversation) : [];
  const title = model.title(chat);

  return (
    <section class="chat" aria-label={`Chat with ${title}`}>
      <header class="bar">
        <button type="button" class="back" aria-label="Back to chats" onClick={props.onBack}>←</button>
        <div class="who">
          <h2>{title}{other !== undefined && <TrustShield model={model} user={other} latest={record?.lastSeq ?? 0} />}</h2>
          <p class="typing" aria-live="polite">
            {typing.length > 0 ? (
              `${typing.join(", ")} ${isGroup ? "is typing…" : "typing…"}`
            ) : isGroup ? (
              `${record.members.length} members`
            ) : (
              <span class="presence" data-presence={presence.kind}>{lastSeenText(presence)}</span>
            )}
          </p>
          {(record?.timer ?? 0) > 0 && (
            <p class="timer-on" title="Disappearing messages">
              <span aria-hidden="true">⏱ </span>Disappearing messages: {timerLabel(record?.timer)}
            </p>
          )}
        </div>
        <button type="button" aria-expanded={showDevices} onClick={() => setShowDevices(!showDevices)}>
          Devices
        </button>
        {isGroup && (
          <button type="button" aria-expanded={showInfo} onClick={() => setShowInfo(!showInfo)}>
            Group info
          </button>
        )}
        <ChatOptions model={model} conversation={conversation} partner={other} />
      </header>
      <p class="sr-only" aria-live="polite">{announcement}</p>
      {model.blockError !== undefined && <p role="alert" class="settings-error">{model.blockError}</p>}
      {showDevices && <DevicesPanel model={model} members={chatMembers(model, chat)} />}
      {isGroup && showInfo && conversation !== undefined && <GroupPanel model={model} conversation={conversation} />}
      <MessageList
        model={model}
        messages={messages}
        pending={model.pending(chat)}
        hasOlder={hasOlder}
        loadOlder={loadOlder}
        actions={actions}
        focus={focus}
      />
      {forwarding !== undefined && <ForwardPanel model={model} message={forwarding} onClose={() => setForwarding(undefined)} />}
      {other !== undefined && model.blocks(other) ? (
        <p class="notice blocked-notice" role="status">
          You blocked {model.contacts.label(other)}: you cannot message them, and nothing they send reaches you.{" "}
          <button type="button" onClick={() => void model.setBlocked(other, false)}>Unblock</button>
        </p>
      ) : member ? (
        <Composer
          model={model}
          chat={chat}
          replyTo={replyTo}
          editing={editing}
          onDone={() => {
            setReplyTo(undefined);
            setEditing(undefined);
          }}
        />
      ) : (
        <p class="notice" role="status">You are no longer a member of this group.</p>
      )}
    </section>
  );
}

/** Whom a chat's messages are encrypted for: its members, this user first. */
function chatMembers(model: ChatModel, chat: ChatKey): string[] {
  const me = model.me.userId;
  const members = "toUser" in chat ? [chat.toUser] : (model.summary(chat.conversation)?.record.members ?? []);
  return [me, ...members.filter((m) => m !== me)];
}
