/**
 * The app's top level: learns the stack (/config.json), restores a signed-in session from the
 * tokens Amplify kept (so a reload stays signed in), and shows either the sign-in screens or
 * the chats.
 */
import { useEffect, useState } from "preact/hooks";
import { CognitoAuth } from "../auth/cognito";
import type { StackConfig } from "../auth/stack";
import { AuthScreen } from "./AuthScreen";
import { Chats } from "./Chats";
import { loadConfig } from "./config";
import { showNotification } from "./notify";
import { closeSession, openSession, type Session } from "./session";

type State =
  | { phase: "loading" }
  | { phase: "failed"; error: string }
  | { phase: "signedOut"; config: StackConfig; auth: CognitoAuth }
  | { phase: "signedIn"; config: StackConfig; auth: CognitoAuth; session: Session };

export function App() {
  const [state, setState] = useState<State>({ phase: "loading" });
  const [openRequest, setOpenRequest] = useState<string | undefined>(undefined);
  const notify = (title: string, body: string, conversation: string) =>
    showNotification(title, body, conversation, setOpenRequest);

  const signedIn = async (config: StackConfig, auth: CognitoAuth, userId: string) => {
    const session = await openSession(config, auth, userId, notify);
    setState({ phase: "signedIn", config, auth, session });
  };

  useEffect(() => {
    (async () => {
      const config = await loadConfig();
      const auth = new CognitoAuth(config);
      const existing = await auth.session(false).catch(() => undefined);
      if (existing !== undefined) await signedIn(config, auth, existing.userId);
      else setState({ phase: "signedOut", config, auth });
    })().catch((error: unknown) => setState({ phase: "failed", error: String(error) }));
  }, []);

  switch (state.phase) {
    case "loading":
      return <p class="splash" role="status">Loading Parley…</p>;
    case "failed":
      return (
        <p class="splash" role="alert">
          Parley could not start: {state.error}
        </p>
      );
    case "signedOut":
      return <AuthScreen config={state.config} auth={state.auth} onSignedIn={(userId) => signedIn(state.config, state.auth, userId)} />;
    case "signedIn":
      return (
        <Chats
          session={state.session}
          openRequest={openRequest}
          onSignOut={async () => {
            await closeSession(state.session, state.auth);
            setState({ phase: "signedOut", config: state.config, auth: state.auth });
          }}
        />
      );
  }
}
