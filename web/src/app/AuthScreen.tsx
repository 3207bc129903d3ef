/**
 * Sign in, sign up (email address or phone number) and confirm with the code. Locally no mail
 * or SMS goes out: the confirm step links to the local stack's outbox of codes.
 */
import { useState } from "preact/hooks";
import { UnconfirmedError, type CognitoAuth } from "../auth/cognito";
import type { StackConfig } from "../auth/stack";
import { outboxUrl } from "./config";
import { rememberUsername } from "./session";

type Step = "signIn" | "signUp" | "confirm";

export function AuthScreen(props: { config: StackConfig; auth: CognitoAuth; onSignedIn: (userId: string) => Promise<void> }) {
  const [step, setStep] = useState<Step>("signIn");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [destination, setDestination] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const outbox = outboxUrl(props.config);

  const run = (work: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      // Signing in to an account never confirmed: go to the code, as after signing up.
      if (e instanceof UnconfirmedError) setStep("confirm");
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const signIn = async () => {
    const session = await props.auth.signIn(username.trim(), password);
    rememberUsername(username.trim());
    await props.onSignedIn(session.userId);
  };

  const title = { signIn: "Sign in to Parley", signUp: "Create a Parley account", confirm: "Confirm your account" }[step];
  return (
    <main class="auth" aria-labelledby="auth-title">
      <h1 id="auth-title">{title}</h1>
      {step === "confirm" ? (
        <form onSubmit={run(async () => {
          await props.auth.confirm(username.trim(), code.trim());
          await signIn();
        })}>
          <p>
            We sent a code to {destination ?? username}.
            {outbox !== undefined && (
              <>
                {" "}This is a local stack: the code is in its{" "}
                <a href={outbox} target="_blank" rel="noopener">outbox of codes</a>.
              </>
            )}
          </p>
          <label>
            Code
            <input name="code" inputMode="numeric" autoFocus autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>Confirm</button>
          <p>
            <button type="button" class="link" disabled={busy} onClick={run(async () => {
              await props.auth.resendCode(username.trim());
              setError(undefined);
              setCode("");
            })}>
              Send a new code
            </button>
          </p>
        </form>
      ) : (
        <form onSubmit={run(async () => {
          if (step === "signIn") return signIn();
          const result = await props.auth.signUp(username.trim(), password);
          setDestination(result.destination);
          if (result.confirmed) await signIn();
          else setStep("confirm");
        })}>
          <label>
            Email or phone (+15550100)
            <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete={step === "signUp" ? "new-password" : "current-password"}
              required
              minLength={8}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={busy}>{step === "signIn" ? "Sign in" : "Sign up"}</button>
          {step === "signUp" && outbox !== undefined && (
            <p class="hint">
              Locally, confirmation codes go to the stack's <a href={outbox} target="_blank" rel="noopener">outbox of codes</a>.
            </p>
          )}
          <p>
            {step === "signIn" ? "New here? " : "Have an account? "}
            <button type="button" class="link" onClick={() => { setError(undefined); setStep(step === "signIn" ? "signUp" : "signIn"); }}>
              {step === "signIn" ? "Create an account" : "Sign in instead"}
            </button>
          </p>
        </form>
      )}
      {error !== undefined && <p role="alert" class="error">{error}</p>}
    </main>
  );
}
