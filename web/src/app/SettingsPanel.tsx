/**
 * The user's own settings, kept by the server: who sees their online state and last seen
 * (everyone, my contacts, nobody; reciprocal: hiding one's own hides everyone's), and whether a
 * reaction to their message is pushed while they are offline; and whom they block, each with
 * an Unblock button (the list is the server's, the same on all of the user's devices).
 */
import { useEffect, useState } from "preact/hooks";
import type { Audience } from "../client";
import type { ChatModel } from "./model";

const AUDIENCES: { value: Audience; label: string }[] = [
  { value: "everyone", label: "Everyone" },
  { value: "contacts", label: "My contacts" },
  { value: "nobody", label: "Nobody" },
];

export function SettingsPanel(props: { model: ChatModel; onClose: () => void }) {
  const { model } = props;
  const [audience, setAudience] = useState<Audience | undefined>(undefined);
  const [reactionPush, setReactionPush] = useState<boolean | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState("");

  const attempt = async <T,>(work: () => Promise<T>, then: (value: T) => void, what?: string) => {
    setError(undefined);
    try {
      then(await work());
      if (what !== undefined) setSaved(what);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const unblock = async (user: string) => {
    setError(undefined);
    if (await model.setBlocked(user, false)) setSaved(`Unblocked ${model.contacts.label(user)}`);
    else setError(model.blockError);
  };

  // Read from the server each time the panel opens (another device may have changed them).
  useEffect(() => {
    void attempt(() => model.client.privacy(), setAudience);
    void attempt(() => model.client.reactionPush(), setReactionPush);
  }, [model.online]);

  return (
    <section class="settings" aria-label="Settings">
      <fieldset disabled={audience === undefined}>
        <legend>Who sees when I am online and my last seen</legend>
        {AUDIENCES.map(({ value, label }) => (
          <label key={value} class="choice">
            <input
              type="radio"
              name="last-seen"
              value={value}
              checked={audience === value}
              onChange={() => void attempt(() => model.client.privacy(value), setAudience, `Last seen: ${label}`)}
            />
            {label}
          </label>
        ))}
        <p class="hint">Whom you hide yours from, you cannot see either.</p>
      </fieldset>
      <label class="choice">
        <input
          type="checkbox"
          disabled={reactionPush === undefined}
          checked={reactionPush === true}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            void attempt(() => model.client.reactionPush(on), setReactionPush, on ? "Reactions will notify you" : "Reactions will not notify you");
          }}
        />
        Notify me of reactions to my messages while I am offline
      </label>
      <fieldset>
        <legend>Blocked</legend>
        {model.blocked().length === 0 ? (
          <p class="hint">You have blocked no one. Block someone from their chat's menu (⋮).</p>
        ) : (
          <ul class="blocked" aria-label="Blocked people">
            {model.blocked().map((user) => (
              <li key={user}>
                <span>{model.contacts.label(user)}</span>
                <button type="button" aria-label={`Unblock ${model.contacts.label(user)}`} onClick={() => void unblock(user)}>
                  Unblock
                </button>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <p role="status" class="hint">{saved}</p>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      <button type="button" onClick={props.onClose}>Close</button>
    </section>
  );
}
