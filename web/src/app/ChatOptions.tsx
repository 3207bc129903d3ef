/**
 * An open chat's menu (⋮ in its header):
 * - disappearing messages: the timer (off, 24 hours, 7 days, 90 days), the current one marked;
 *   any member of a direct chat may set it, in a group only an admin (others see it, not
 *   changeable; a refusal the server still makes shows where the chat ends, with its reason);
 * - in a direct chat, block the other person (asked first: blocking is private, but it stops
 *   their messages, typing and receipts reaching this user, on all of this user's devices,
 *   and this user from writing to them) or unblock them.
 */
import { useState } from "preact/hooks";
import { TIMER_SECONDS, timerLabel } from "../client";
import type { ChatModel } from "./model";

export function ChatOptions(props: { model: ChatModel; conversation: string | undefined; partner: string | undefined }) {
  const { model, conversation, partner } = props;
  const [confirming, setConfirming] = useState(false);
  const record = conversation !== undefined ? model.summary(conversation)?.record : undefined;
  const group = record?.kind === "group";
  if (partner === undefined && !group) return null;
  const close = (event: Event) => {
    (event.currentTarget as HTMLElement).closest("details")?.removeAttribute("open");
    setConfirming(false);
  };
  const block = (on: boolean) => (event: Event) => {
    close(event);
    if (partner !== undefined) void model.setBlocked(partner, on);
  };
  const current = record?.timer ?? 0;
  const mayTime = conversation !== undefined && (!group || (record?.admins ?? []).includes(model.me.userId));
  const setTimer = (seconds: number) => (event: Event) => {
    close(event);
    if (conversation !== undefined && seconds !== current) void model.client.setTimer(conversation, seconds);
  };
  const name = partner !== undefined ? model.contacts.label(partner) : "";
  const blocked = partner !== undefined && model.blocks(partner);
  return (
    <details class="chat-options" onToggle={(e) => !(e.currentTarget as HTMLDetailsElement).open && setConfirming(false)}>
      <summary aria-label="Chat options" title="Chat options">⋮</summary>
      <div class="menu" role="group" aria-label="Chat actions">
        {conversation !== undefined && (
          <div class="timer" role="group" aria-label="Disappearing messages">
            <p class="menu-title">Disappearing messages</p>
            {TIMER_SECONDS.map((seconds) => (
              <button
                type="button"
                key={seconds}
                aria-pressed={seconds === current}
                disabled={!mayTime}
                onClick={setTimer(seconds)}
              >
                {seconds === 0 ? "Off" : timerLabel(seconds)}
              </button>
            ))}
            {!mayTime && <p class="hint">Only a group admin can change this.</p>}
          </div>
        )}
        {partner === undefined ? null : blocked ? (
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
