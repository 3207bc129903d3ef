/**
 * The signed-in screen: the conversation list beside the open chat (one at a time on a
 * phone-width screen), the offline banner, notifications and sign-out.
 */
import { useEffect, useState } from "preact/hooks";
import { ChatView } from "./ChatView";
import { ConversationList } from "./ConversationList";
import type { ChatKey } from "./model";
import { askForNotifications, notificationsSupported } from "./notify";
import type { Session } from "./session";
import { SettingsPanel } from "./SettingsPanel";
import { StartChat } from "./StartChat";
import { useModel } from "./useModel";
import { VerificationLayer } from "./Verification";

export function Chats(props: { session: Session; openRequest: string | undefined; onSignOut: () => Promise<void> }) {
  const model = useModel(props.session.model);
  const [chat, setChat] = useState<ChatKey | undefined>(undefined);
  const [settings, setSettings] = useState(false);
  const [permission, setPermission] = useState(notificationsSupported() ? Notification.permission : "denied");

  // For `make web-bench` (time from load to the conversation list) and the browser's own
  // performance tools.
  useEffect(() => {
    performance.mark("parley:chats-shown");
  }, []);

  useEffect(() => {
    if (props.openRequest !== undefined) setChat({ conversation: props.openRequest });
  }, [props.openRequest]);

  return (
    <div class={`app ${chat !== undefined ? "has-chat" : ""}`}>
      {!model.online && (
        <div class="offline" role="status">
          Offline — reconnecting. Messages you write are kept and sent when the connection is back.
        </div>
      )}
      <VerificationLayer model={model} />
      <aside class="sidebar" aria-label="Chats">
        <header class="bar">
          <span class="me" title={model.me.username}>{model.me.username}</span>
          {permission === "default" && (
            <button type="button" onClick={async () => { await askForNotifications(); setPermission(Notification.permission); }}>
              Enable notifications
            </button>
          )}
          <button type="button" aria-expanded={settings} onClick={() => setSettings(!settings)}>Settings</button>
          <button type="button" onClick={() => void props.onSignOut()}>Sign out</button>
        </header>
        {settings && <SettingsPanel model={model} onClose={() => setSettings(false)} />}
        <StartChat model={model} onOpen={setChat} />
        <ConversationList model={model} selected={chat} onOpen={setChat} />
      </aside>
      <main class="chat-pane" aria-label="Chat">
        {chat === undefined ? (
          <p class="empty">Choose a chat, or start one by email or phone.</p>
        ) : (
          <ChatView key={"conversation" in chat ? chat.conversation : chat.toUser} model={model} chat={chat} onBack={() => setChat(undefined)} />
        )}
      </main>
    </div>
  );
}
