/**
 * An open chat's menu (⋮ in its header). In a direct chat: block the other person (asked
 * first: blocking is private, but it stops their messages, typing and receipts reaching this
 * user, on all of this user's devices, and this user from writing to them) or unblock them.
 */
import { useState } from "preact/hooks";
import type { ChatModel } from "./model";

export function ChatOptions(props: { model: ChatModel; partner: string | undefined }) {
  const { model, partner } = props;
  const [confirming, setConfirming] = useState(false);
  if (partner === undefined) return null;
  const name = model.contacts.label(partner);
  const blocked = model.blocks(partner);
  const close = (event: Event) => {
    (event.currentTarget as HTMLElement).closest("details")?.removeAttribute("open");
    setConfirming(false);
  };
  const block = (on: boolean) => (event: Event) => {
    close(event);
    void model.setBlocked(partner, on);
  };
  return (
    <details class="chat-options" onToggle={(e) => !(e.currentTarget as HTMLDetailsElement).open && setConfirming(false)}>
      <summary aria-label="Chat options" title="Chat options">⋮</summary>
      <div class="menu" role="group" aria-label="Chat actions">
        {blocked ? (
          <button type="button" onClick={block(false)}>Unblock {name}</button>
        ) : confirming ? (
          <div class="confirm" role="alertdialog" aria-label={`Block ${name}?`}>
            <p>
              Block {name}? Their messages, typing and read receipts will no longer reach you, and you cannot message
              them until you unblock them. They are not told.
            </p>
            <button type="button" class="danger" onClick={block(true)}>Block</button>
            <button type="button" onClick={close}>Cancel</button>
          </div>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>Block {name}…</button>
        )}
      </div>
    </details>
  );
}
