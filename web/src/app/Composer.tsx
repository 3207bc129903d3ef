/**
 * Writing: text (Enter sends, Shift+Enter breaks the line), "typing" sent at most every 3 s
 * while typing, and files picked or dropped, checked against the protocol's rules before
 * anything is uploaded (the reason shown when refused), with a progress bar while uploading.
 * Sends go through the outbox, so text written offline goes out on reconnect.
 *
 * A reply shows its quote above the box (× cancels); editing fills the box with the message's
 * text (Esc cancels) and sends an `edit`. In a group, `@` suggests members; the members whose
 * `@name` the text holds when it is sent go in `mentions`.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { checkFile, RequestError, shown, type StoredMessage } from "../client";
import { mentionQuery, mentionsIn, quotePreview } from "./compose";
import type { ChatKey, ChatModel } from "./model";

const TYPING_EVERY_MS = 3_000;
export function Composer(props: {
  model: ChatModel;
  chat: ChatKey;
  replyTo?: StoredMessage | undefined;
  editing?: StoredMessage | undefined;
  onDone?: () => void;
}) {
  const { model, chat, replyTo, editing } = props;
  const [text, setText] = useState("");
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [dragging, setDragging] = useState(false);
  const lastTyping = useRef(0);
  const picker = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  // A chat opened (by click or keyboard) is ready to type into.
  useEffect(() => box.current?.focus(), []);
  // Editing starts from the message's current text; a reply or an edit puts the cursor here.
  useEffect(() => {
    if (editing !== undefined) setText(shown(editing.state).editedBody ?? editing.body ?? "");
    if (editing !== undefined || replyTo !== undefined) box.current?.focus();
  }, [editing?.seq, replyTo?.seq]);

  const record = "conversation" in chat ? model.summary(chat.conversation)?.record : undefined;
  const members = record?.kind === "group" ? record.members.filter((m) => m !== model.me.userId) : [];
  const label = (id: string) => model.contacts.label(id);
  const query = members.length > 0 ? mentionQuery(text, caret) : undefined;
  const suggestions = query === undefined ? [] : members.filter((m) => label(m).toLowerCase().includes(query.toLowerCase())).slice(0, 6);

  const cancel = () => {
    if (editing !== undefined) setText("");
    props.onDone?.();
  };

  const send = async () => {
    const body = text.trim();
    if (body === "") return;
    setText("");
    // The message ends the typing: the next keystroke says "typing" again at once.
    lastTyping.current = 0;
    props.onDone?.();
    setError(undefined);
    try {
      if (editing !== undefined) {
        if (body !== (shown(editing.state).editedBody ?? editing.body)) await model.client.edit(editing.conversation, editing.seq, body);
        return;
      }
      const mentions = mentionsIn(body, members, label);
      const quoted = replyTo !== undefined ? (shown(replyTo.state).editedBody ?? replyTo.body ?? replyTo.attachment?.name ?? "") : "";
      await model.client.send({
        ...chat,
        body,
        ...(replyTo !== undefined ? { replyTo: { seq: replyTo.seq, preview: quotePreview(quoted) } } : {}),
        ...(mentions.length > 0 ? { mentions } : {}),
      });
    } catch (e) {
      // Refused before it was stored (too long to encrypt into one frame): the text stays.
      setText(body);
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const pick = (member: string) => {
    const before = text.slice(0, caret).replace(/@[^\s@]*$/, `@${label(member)} `);
    const after = text.slice(caret);
    setText(before + after);
    setCaret(before.length);
    box.current?.focus();
  };

  const onInput = (value: string, at: number) => {
    setText(value);
    setCaret(at);
    const now = Date.now();
    if ("conversation" in chat && value !== "" && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      model.client.typing(chat.conversation);
    }
  };

  const sendFile = async (file: File | undefined) => {
    if (file === undefined) return;
    setError(undefined);
    const check = checkFile(file);
    if (!check.ok) {
      setError(`${file.name}: ${check.reason}`);
      return;
    }
    setProgress({ name: file.name, sent: 0, total: file.size });
    try {
      await model.client.sendFile(chat, file, (sent, total) => setProgress({ name: file.name, sent, total }));
    } catch (e) {
      setError(`${file.name}: ${e instanceof RequestError || e instanceof Error ? e.message : String(e)}`);
    } finally {
      setProgress(undefined);
    }
  };

  return (
    <form
      class={`composer ${dragging ? "dragging" : ""}`}
      aria-label="Write a message"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void sendFile(e.dataTransfer?.files[0]);
      }}
    >
      {progress !== undefined && (
        <label class="progress">
          Uploading {progress.name}
          <progress aria-label={`Uploading ${progress.name}`} value={progress.sent} max={progress.total} />
        </label>
      )}
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {replyTo !== undefined && (
        <div class="composer-mode" aria-label="Replying to">
          <span>
            Replying to <strong>{label(replyTo.from)}</strong>: {quotePreview(shown(replyTo.state).editedBody ?? replyTo.body ?? replyTo.attachment?.name ?? "")}
          </span>
          <button type="button" aria-label="Cancel the reply" onClick={cancel}>×</button>
        </div>
      )}
      {editing !== undefined && (
        <div class="composer-mode" aria-label="Editing">
          <span>Editing your message (Esc cancels)</span>
          <button type="button" aria-label="Cancel the edit" onClick={cancel}>×</button>
        </div>
      )}
      {suggestions.length > 0 && (
        <ul class="mentions" role="listbox" aria-label="Mention a member">
          {suggestions.map((member) => (
            <li key={member}>
              <button type="button" role="option" aria-selected="false" onClick={() => pick(member)}>@{label(member)}</button>
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        <button type="button" aria-label="Attach a file" title="Attach a file (or drop one here)" onClick={() => picker.current?.click()}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d="M16.5 6.5 8.9 14.1a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7L5.9 11.3a6 6 0 0 0 8.5 8.5l6.1-6.1" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
          </svg>
        </button>
        <input
          ref={picker}
          type="file"
          hidden
          aria-label="File to send"
          onChange={(e) => {
            const input = e.currentTarget;
            void sendFile(input.files?.[0]).finally(() => (input.value = ""));
          }}
        />
        <textarea
          ref={box}
          aria-label="Message"
          placeholder="Message"
          rows={1}
          value={text}
          onInput={(e) => onInput(e.currentTarget.value, e.currentTarget.selectionStart ?? e.currentTarget.value.length)}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={(e) => {
            if (e.key === "Escape" && (editing !== undefined || replyTo !== undefined)) {
              e.preventDefault();
              cancel();
            } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && suggestions[0] !== undefined) {
              // The first suggestion is taken, as in other chat apps.
              e.preventDefault();
              pick(suggestions[0]);
            } else if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" disabled={text.trim() === ""}>{editing !== undefined ? "Save" : "Send"}</button>
      </div>
    </form>
  );
}
