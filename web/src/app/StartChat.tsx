/** Starting a chat (a contact looked up by email or phone) or a group (a name and members). */
import { useState } from "preact/hooks";
import type { ChatKey, ChatModel } from "./model";

const split = (text: string) => text.split(/[\s,;]+/).filter((a) => a !== "");

export function StartChat(props: { model: ChatModel; onOpen: (chat: ChatKey) => void }) {
  const { model } = props;
  const [address, setAddress] = useState("");
  const [groupName, setGroupName] = useState("");
  const [groupMembers, setGroupMembers] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const run = (work: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
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
    <section class="start" aria-label="Start a chat">
      <form class="row" onSubmit={run(async () => {
        const { found } = await model.contacts.lookup(model.client, [address]);
        const contact = found[0];
        if (contact === undefined) throw new Error(`No Parley user has ${address.trim()}.`);
        if (contact.userId === model.me.userId) throw new Error("That is you.");
        setAddress("");
        props.onOpen(model.resolve({ toUser: contact.userId }));
      })}>
        <input aria-label="Email or phone to chat with" placeholder="Chat with (email or +phone)" required value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>Chat</button>
      </form>
      <details>
        <summary>New group</summary>
        <form onSubmit={run(async () => {
          const { found, missing } = await model.contacts.lookup(model.client, split(groupMembers));
          if (missing.length > 0) throw new Error(`Not Parley users: ${missing.join(", ")}.`);
          const reply = await model.client.request({
            action: "createGroup",
            name: groupName.trim(),
            members: found.map((c) => c.userId).filter((id) => id !== model.me.userId),
          });
          if (reply.type !== "group") throw new Error(`unexpected ${reply.type}`);
          setGroupName("");
          setGroupMembers("");
          await model.refresh(reply.conversation);
          props.onOpen({ conversation: reply.conversation });
        })}>
          <label>
            Group name
            <input required maxLength={256} value={groupName} onInput={(e) => setGroupName(e.currentTarget.value)} />
          </label>
          <label>
            Members (emails or phones)
            <textarea required rows={2} value={groupMembers} onInput={(e) => setGroupMembers(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>Create group</button>
        </form>
      </details>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
