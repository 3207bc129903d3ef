/**
 * Forwarding a message: pick one of the chats, and its text goes there as a new message marked
 * `forwarded` (a new `send` through the outbox; files are not forwarded, since an attachment's
 * key is reserved for the conversation it was uploaded to).
 */
import { useState } from "preact/hooks";
import { shown, type StoredMessage } from "../client";
import type { ChatModel } from "./model";

export function ForwardPanel(props: { model: ChatModel; message: StoredMessage; onClose: () => void }) {
  const { model, message } = props;
  const [error, setError] = useState<string | undefined>(undefined);
  const body = shown(message.state).editedBody ?? message.body;
  const forward = async (conversation: string) => {
    if (body === undefined) return;
    try {
      await model.client.send({ conversation, body, forwarded: true });
      props.onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <aside class="forward" aria-label="Forward to">
      <h3>Forward to…</h3>
      <ul>
        {model.summaries.map((s) => {
          const title = model.title({ conversation: s.conversation });
          return (
            <li key={s.conversation}>
              <button type="button" aria-label={`Forward to ${title}`} onClick={() => void forward(s.conversation)}>
                {title}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={props.onClose}>Cancel</button>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
    </aside>
  );
}
