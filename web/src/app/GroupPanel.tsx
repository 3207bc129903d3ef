/** A group's members and admins; admins add and remove members; anyone leaves. */
import { useState } from "preact/hooks";
import type { ChatModel } from "./model";

export function GroupPanel(props: { model: ChatModel; conversation: string }) {
  const { model, conversation } = props;
  const record = model.summary(conversation)?.record;
  const [address, setAddress] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  if (record === undefined) return null;
  const me = model.me.userId;
  const admins = record.admins ?? [];
  const amAdmin = admins.includes(me);
  const member = record.members.includes(me);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside class="group-info" aria-label="Group info">
      <h3>Members</h3>
      <ul aria-label="Members">
        {record.members.map((id) => (
          <li key={id}>
            <span>{model.contacts.label(id)}</span>
            {admins.includes(id) && <span class="badge">admin</span>}
            {amAdmin && id !== me && (
              <button
                type="button"
                disabled={busy}
                aria-label={`Remove ${model.contacts.label(id)}`}
                onClick={() => act(() => model.client.request({ action: "removeMembers", conversation, members: [id] }))}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {amAdmin && (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              const { found, missing } = await model.contacts.lookup(model.client, [address]);
              if (missing.length > 0 || found.length === 0) throw new Error(`No Parley user has ${address.trim()}.`);
              await model.client.request({ action: "addMembers", conversation, members: found.map((c) => c.userId) });
              setAddress("");
            });
          }}
        >
          <input aria-label="Add a member (email or phone)" placeholder="Add (email or +phone)" required value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>Add</button>
        </form>
      )}
      {member && (
        <button type="button" class="danger" disabled={busy} onClick={() => act(() => model.client.request({ action: "leaveGroup", conversation }))}>
          Leave group
        </button>
      )}
      {error !== undefined && <p role="alert" class="error">{error}</p>}
    </aside>
  );
}
