/**
 * One message: its sender (in groups), text or file, time and, on one's own messages, the tick
 * (clock → ✓ → ✓✓ → blue ✓✓), each tick named for screen readers. Changes show on it: the
 * newest edit's text marked "edited", "This message was deleted", reactions with counts (who
 * reacted in the tooltip and the label); a quote above a reply (tapping it jumps to the
 * original), "Forwarded", mentions highlighted; and its menu of actions.
 */
import { useEffect, useState } from "preact/hooks";
import type { OutboxRecord, Sealed, StoredMessage, Tick } from "../client";
import type { Attachment as AttachmentType } from "../client/protocol";
import { formatBytes, isSealed, reactionOf, shown, type SealedAttachment } from "../client";
import { timeOf } from "./format";
import type { ChatModel } from "./model";

const TICKS: Record<Tick, { glyph: string; label: string }> = {
  pending: { glyph: "", label: "Sending" },
  sent: { glyph: "✓", label: "Sent" },
  delivered: { glyph: "✓✓", label: "Delivered" },
  read: { glyph: "✓✓", label: "Read" },
};

/** A clock drawn, not an emoji: not every system has an emoji font. */
function Clock() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path d="M8 4v4l2.5 2" fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

export function TickMark(props: { tick: Tick }) {
  const { glyph, label } = TICKS[props.tick];
  return (
    <span class={`tick ${props.tick}`} role="img" aria-label={label} data-tick={props.tick}>
      {props.tick === "pending" ? <Clock /> : glyph}
    </span>
  );
}

/** What a message row can ask of its chat (ChatView): the actions on a message. */
export interface RowActions {
  reply(message: StoredMessage): void;
  edit(message: StoredMessage): void;
  forward(message: StoredMessage): void;
  /** Scrolls to the quoted message and highlights it. */
  jump(seq: number): void;
  /** The quoted message, if this device holds it. */
  quoted(seq: number): StoredMessage | undefined;
}

/** The quick reactions of the message menu. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
/** The server's windows (protocol/src/limits.rs): the menu offers only what may succeed. */
const EDIT_WINDOW_MS = 15 * 60_000;
const DELETE_WINDOW_MS = 60 * 3_600_000;

export function MessageRow(props: { model: ChatModel; message: StoredMessage; actions: RowActions; highlighted: boolean }) {
  const { message, model, actions } = props;
  const record = model.summary(message.conversation)?.record;
  const group = record?.kind === "group";
  const view = shown(message.state);
  const me = model.me.userId;
  const label = (id: string) => model.contacts.label(id);
  const body = view.editedBody ?? message.body;
  return (
    <div class={`bubble ${message.own ? "own" : "theirs"} ${props.highlighted ? "highlight" : ""}`} data-seq={message.seq}>
      {group && !message.own && <p class="from">{label(message.from)}</p>}
      {message.forwarded === true && !view.deleted && <p class="forwarded">Forwarded</p>}
      {message.replyTo !== undefined && !view.deleted && <Quote model={model} reply={message.replyTo} actions={actions} />}
      {view.deleted ? (
        <p class="body deleted">This message was deleted</p>
      ) : (
        <>
          {message.attachment !== undefined && <Attachment model={model} attachment={message.attachment} />}
          {body !== undefined && <p class="body">{highlightMentions(body, message.mentions ?? [], (id) => (id === me ? model.me.username : label(id)), me)}</p>}
          {message.sealed !== undefined && <p class="body sealed" data-sealed={message.sealed.state}>{sealedText(message.sealed)}</p>}
        </>
      )}
      {view.reactions.length > 0 && <Reactions model={model} message={message} reactions={view.reactions} />}
      <p class="meta">
        {view.editedBody !== undefined && !view.deleted && <span class="edited">edited</span>}
        <time dateTime={new Date(message.ts).toISOString()}>{timeOf(message.ts)}</time>
        {message.own && message.tick !== undefined && <TickMark tick={message.tick} />}
      </p>
      {!view.deleted && <MessageMenu model={model} message={message} actions={actions} admin={group && (record?.admins ?? []).includes(me)} />}
    </div>
  );
}

/** `@name` of each mentioned member marked, the signed-in user's own name more strongly. */
function highlightMentions(text: string, mentions: string[], label: (id: string) => string, me: string) {
  const names = mentions.map((id) => ({ id, name: `@${label(id)}` }));
  if (names.length === 0) return text;
  const out: (string | preact.JSX.Element)[] = [];
  let rest = text;
  for (;;) {
    // The earliest mention of any mentioned member (the user's own by their sign-up address).
    let best: { at: number; length: number; mine: boolean } | undefined;
    for (const { id, name } of names) {
      const at = rest.indexOf(name);
      if (at >= 0 && (best === undefined || at < best.at)) best = { at, length: name.length, mine: id === me };
    }
    if (best === undefined) break;
    if (best.at > 0) out.push(rest.slice(0, best.at));
    out.push(<mark class={`mention ${best.mine ? "me" : ""}`}>{rest.slice(best.at, best.at + best.length)}</mark>);
    rest = rest.slice(best.at + best.length);
  }
  if (rest !== "") out.push(rest);
  return out;
}

function Quote(props: { model: ChatModel; reply: NonNullable<StoredMessage["replyTo"]>; actions: RowActions }) {
  const { model, reply, actions } = props;
  const quoted = actions.quoted(reply.seq);
  const view = shown(quoted?.state);
  const text = view.deleted
    ? "This message was deleted"
    : (view.editedBody ?? quoted?.body ?? (quoted?.attachment ? `File: ${quoted.attachment.name}` : reply.preview ?? "Message unavailable"));
  const author = model.contacts.label(quoted?.from ?? reply.from);
  return (
    <button type="button" class="quote" aria-label={`Reply to ${author}: ${text}. Show the message`} onClick={() => actions.jump(reply.seq)}>
      <span class="quote-from">{author}</span>
      <span class="quote-text">{text.length > 100 ? `${text.slice(0, 100)}…` : text}</span>
    </button>
  );
}

function Reactions(props: { model: ChatModel; message: StoredMessage; reactions: { emoji: string; users: string[] }[] }) {
  const { model, message } = props;
  const me = model.me.userId;
  return (
    <ul class="reactions" aria-label="Reactions">
      {props.reactions.map(({ emoji, users }) => {
        const names = users.map((u) => model.contacts.label(u)).join(", ");
        const mine = users.includes(me);
        return (
          <li key={emoji}>
            <button
              type="button"
              class={`reaction ${mine ? "mine" : ""}`}
              title={names}
              aria-label={`${emoji} ${users.length}: ${names}${mine ? " (tap to remove yours)" : ""}`}
              data-emoji={emoji}
              data-count={users.length}
              onClick={() => void model.client.react(message.conversation, message.seq, mine ? undefined : emoji)}
            >
              {emoji} <span class="count">{users.length}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Reply, react, edit, delete for everyone, forward: what the user may do to this message. */
function MessageMenu(props: { model: ChatModel; message: StoredMessage; actions: RowActions; admin: boolean }) {
  const { model, message, actions } = props;
  const [confirming, setConfirming] = useState(false);
  const mine = reactionOf(message.state, model.me.userId);
  const age = Date.now() - message.ts;
  const canEdit = message.own && message.body !== undefined && age < EDIT_WINDOW_MS;
  const canDelete = (message.own && age < DELETE_WINDOW_MS) || props.admin;
  const close = (event: Event) => (event.currentTarget as HTMLElement).closest("details")?.removeAttribute("open");
  const act = (work: () => void) => (event: Event) => {
    close(event);
    work();
  };
  return (
    <details class="msg-menu">
      <summary aria-label="Message options" title="Options">⌄</summary>
      <div class="menu" role="group" aria-label="Message actions">
        <div class="quick" role="group" aria-label="React">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              type="button"
              key={emoji}
              aria-pressed={mine === emoji}
              aria-label={`React ${emoji}`}
              onClick={act(() => void model.client.react(message.conversation, message.seq, mine === emoji ? undefined : emoji))}
            >
              {emoji}
            </button>
          ))}
        </div>
        {mine !== undefined && <button type="button" onClick={act(() => void model.client.react(message.conversation, message.seq, undefined))}>Remove reaction</button>}
        <button type="button" onClick={act(() => actions.reply(message))}>Reply</button>
        {canEdit && <button type="button" onClick={act(() => actions.edit(message))}>Edit</button>}
        {message.body !== undefined && message.attachment === undefined && (
          <button type="button" onClick={act(() => actions.forward(message))}>Forward</button>
        )}
        {canDelete &&
          (confirming ? (
            <button type="button" class="danger" onClick={act(() => void model.client.deleteForEveryone(message.conversation, message.seq))}>
              Confirm: delete for everyone
            </button>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete for everyone</button>
          ))}
      </div>
    </details>
  );
}

const CHANGE_NAMES = { edit: "Edit", delete: "Delete for everyone", react: "Reaction", unreact: "Removing the reaction", timer: "Disappearing messages" } as const;

/** What shows in place of a message that came encrypted and does not decrypt (yet). */
export function sealedText(sealed: Sealed): string {
  switch (sealed.state) {
    case "waiting":
      return "Waiting for the key to decrypt this message…";
    case "beforeDevice":
      return "Sent before this device signed in: it cannot be decrypted here.";
    case "undecryptable":
      return "This message cannot be decrypted.";
  }
}

export function PendingRow(props: { model: ChatModel; record: OutboxRecord }) {
  const { record, model } = props;
  const frame = record.frame;
  if (frame.kind !== undefined) {
    // A change waiting for its `sent` shows nothing; a refused one says why, until dismissed.
    if (record.state !== "failed") return null;
    return (
      <p role="alert" class="error change-error" data-outbox={record.id}>
        {CHANGE_NAMES[frame.kind]} refused: {record.error?.message ?? "refused"}{" "}
        <button type="button" onClick={() => void model.client.outbox.discard(record.id)}>Dismiss</button>
      </p>
    );
  }
  return (
    <div class="bubble own pending" data-outbox={record.id}>
      {frame.attachment !== undefined && <p class="file">File: {(record.plain?.attachment ?? frame.attachment).name}</p>}
      {(record.plain?.body ?? frame.body) !== undefined && <p class="body">{record.plain?.body ?? frame.body}</p>}
      <p class="meta">
        {record.state === "failed" ? (
          <span role="alert" class="error">
            Not sent: {record.error?.message ?? "refused"}{" "}
            <button type="button" onClick={() => void model.client.outbox.discard(record.id)}>Discard</button>
          </span>
        ) : (
          <TickMark tick="pending" />
        )}
      </p>
    </div>
  );
}

/** Download URLs live 300 s; reuse one for a while instead of asking per render. */
const urls = new Map<string, { url: string; until: number }>();

async function urlFor(model: ChatModel, key: string): Promise<string> {
  const cached = urls.get(key);
  if (cached !== undefined && cached.until > Date.now()) return cached.url;
  const url = await model.client.downloadUrl(key);
  urls.set(key, { url, until: Date.now() + 240_000 });
  return url;
}

/**
 * An encrypted file's bytes, decrypted, as a `data:` URL (for an image: the Content-Security-
 * Policy's img-src allows `data:`, not `blob:`).
 */
async function sealedDataUrl(model: ChatModel, attachment: SealedAttachment): Promise<string> {
  const bytes = await model.client.fetchSealedFile(attachment);
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }));
  });
}

/** An encrypted file's bytes, decrypted, as a `blob:` URL to save (revoked a minute later). */
async function sealedBlobUrl(model: ChatModel, attachment: SealedAttachment): Promise<string> {
  const bytes = await model.client.fetchSealedFile(attachment);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }));
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return url;
}

function Attachment(props: { model: ChatModel; attachment: AttachmentType | SealedAttachment }) {
  const { attachment, model } = props;
  const image = attachment.contentType.startsWith("image/");
  const [src, setSrc] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // Asked again when the connection comes back (a chat opened offline shows its images then).
  useEffect(() => {
    if (image && src === undefined && model.online) {
      const url = isSealed(attachment) ? sealedDataUrl(model, attachment) : urlFor(model, attachment.key);
      url.then(setSrc, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    }
  }, [attachment.key, model.online]);
  const download = async () => {
    try {
      const link = document.createElement("a");
      link.href = isSealed(attachment) ? await sealedBlobUrl(model, attachment) : await urlFor(model, attachment.key);
      link.download = attachment.name;
      link.rel = "noopener";
      link.click();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="attachment">
      {image && src !== undefined && <img src={src} alt={attachment.name} loading="lazy" />}
      <button type="button" class="link" onClick={download}>
        Download {attachment.name} ({formatBytes(attachment.size)})
      </button>
      {error !== undefined && (
        <span role="alert" class="error">
          {" "}Cannot fetch the file now: {error}
        </span>
      )}
    </div>
  );
}
