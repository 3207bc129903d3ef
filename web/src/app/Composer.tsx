/**
 * Writing: text (Enter sends, Shift+Enter breaks the line), "typing" sent at most every 3 s
 * while typing, and files picked or dropped, checked against the protocol's rules before
 * anything is uploaded (the reason shown when refused), with a progress bar while uploading.
 * Sends go through the outbox, so text written offline goes out on reconnect.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { checkFile, RequestError } from "../client";
import type { ChatKey, ChatModel } from "./model";

const TYPING_EVERY_MS = 3_000;

export function Composer(props: { model: ChatModel; chat: ChatKey }) {
  const { model, chat } = props;
  const [text, setText] = useState("");
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [dragging, setDragging] = useState(false);
  const lastTyping = useRef(0);
  const picker = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  // A chat opened (by click or keyboard) is ready to type into.
  useEffect(() => box.current?.focus(), []);

  const send = async () => {
    const body = text.trim();
    if (body === "") return;
    setText("");
    // The message ends the typing: the next keystroke says "typing" again at once.
    lastTyping.current = 0;
    setError(undefined);
    try {
      await model.client.send({ ...chat, body });
    } catch (e) {
      // Refused before it was stored (too long to encrypt into one frame): the text stays.
      setText(body);
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const onInput = (value: string) => {
    setText(value);
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
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" disabled={text.trim() === ""}>Send</button>
      </div>
    </form>
  );
}
