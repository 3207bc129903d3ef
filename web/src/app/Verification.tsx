/**
 * Verifying a device by comparing emojis (issue 15): the banner of a request someone sent this
 * browser (Accept / Decline), the dialog of the flow the user started or accepted (waiting, the
 * seven emojis with "They match" / "They don't match", then verified or cancelled with the
 * reason), and the marks: a device's "Verified", a direct chat's shield when every device of
 * the other person is verified. The flow itself is the client library's (verify.ts, the
 * client's `verifications`).
 */
import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import type { VerificationView } from "../client";
import type { ChatModel } from "./model";
import { allVerified, verifyState, type VerifyState } from "./verify";

/** Re-renders on every change of the client's verifications. */
export function useVerify(model: ChatModel): VerifyState {
  const state = verifyState(model.client);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => state.subscribe(() => bump(0)), [state]);
  return state;
}

/** The banner of each request waiting for an answer, and the open flow's dialog. */
export function VerificationLayer(props: { model: ChatModel }) {
  const { model } = props;
  const state = useVerify(model);
  const shown = state.shown();
  const requests = state.requests();
  return (
    <>
      {requests.length > 0 && (
        <div class="verify-requests">
          {requests.map((request) => (
            <div key={request.flowId} class="verify-request" role="alert" data-flow={request.flowId}>
              <span>{whoseDevice(model, request)} wants to verify this browser by comparing emojis.</span>
              <button type="button" onClick={() => void state.accept(request.flowId)}>Accept</button>
              <button type="button" class="danger" onClick={() => void state.cancel(request.flowId)}>Decline</button>
            </div>
          ))}
        </div>
      )}
      {shown !== undefined && <VerifyDialog model={model} state={state} view={shown} />}
    </>
  );
}

function VerifyDialog(props: { model: ChatModel; state: VerifyState; view: VerificationView }) {
  const { model, state, view } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  const [busy, setBusy] = useState(false);
  // Focus moves into the dialog when it opens and at each step, so a screen reader reads it.
  useEffect(() => heading.current?.focus(), [view.phase]);
  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    await work();
    setBusy(false);
  };
  const device = whoseDevice(model, view);
  const finished = view.phase === "done" || view.phase === "cancelled";
  return (
    <div class="verify-backdrop">
      <div
        class="verify-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="verify-title"
        data-phase={view.phase}
        onKeyDown={(e) => {
          if (e.key === "Escape" && finished) state.close();
        }}
      >
        <h2 id="verify-title" tabIndex={-1} ref={heading}>Verify {device}</h2>
        {view.phase === "requested" && <p>Waiting for your answer…</p>}
        {view.phase === "waiting" && (
          <p role="status">{view.weStarted ? `Waiting for ${model.contacts.label(view.user)} to accept on that device…` : "Exchanging keys…"}</p>
        )}
        {(view.phase === "compare" || view.phase === "confirmed") && view.emojis !== undefined && (
          <>
            <p>Check that the same emojis, in the same order, show on the other device.</p>
            <ol class="sas-emojis" aria-label="Emojis to compare">
              {view.emojis.map((e, i) => (
                <li key={i} class="sas-emoji">
                  <span class="symbol" aria-hidden="true">{e.symbol}</span>
                  <span class="name">{e.description}</span>
                </li>
              ))}
            </ol>
          </>
        )}
        {view.phase === "confirmed" && <p role="status">Waiting for the other device to confirm…</p>}
        {view.phase === "done" && <p role="status" class="verified-note">✓ Verified: messages with {device} are safe from interception.</p>}
        {view.phase === "cancelled" && (
          <p role="alert" class="error">
            Verification cancelled{view.cancelled !== undefined ? ` ${view.cancelled.byUs ? "here" : "by the other device"}: ${view.cancelled.reason}` : ""}.
          </p>
        )}
        {state.error !== undefined && <p role="alert" class="error">{state.error}</p>}
        <div class="row verify-actions">
          {view.phase === "compare" && (
            <>
              <button type="submit" disabled={busy} onClick={() => void act(() => state.confirm(view.flowId))}>They match</button>
              <button type="button" class="danger" disabled={busy} onClick={() => void act(() => state.mismatch(view.flowId))}>They don't match</button>
            </>
          )}
          {(view.phase === "waiting" || view.phase === "confirmed") && (
            <button type="button" disabled={busy} onClick={() => void act(() => state.cancel(view.flowId))}>Cancel</button>
          )}
          {finished && <button type="button" onClick={() => state.close()}>Close</button>}
        </div>
      </div>
    </div>
  );
}

/** "Dora's device ABCD…", or "your device ABCD…" for one of this user's own. */
function whoseDevice(model: ChatModel, view: VerificationView): string {
  const id = view.deviceId ?? "";
  return view.user === model.me.userId ? `your device ${id}` : `${model.contacts.label(view.user)}'s device ${id}`;
}

/**
 * A direct chat's shield: every device of `user` is verified. Read again when the engine
 * stored a change to devices (a verification, a device added) and at each new message.
 */
export function TrustShield(props: { model: ChatModel; user: string; latest: number }) {
  const { model, user, latest } = props;
  const state = useVerify(model);
  const [shield, setShield] = useState(false);
  useEffect(() => {
    let live = true;
    void model.client.devices(user).then((devices) => {
      if (live) setShield(allVerified(devices));
    });
    return () => {
      live = false;
    };
  }, [user, state.revision, latest]);
  if (!shield) return null;
  const label = `All of ${model.contacts.label(user)}'s devices are verified`;
  // Drawn, not an emoji: it must show where no emoji font is installed.
  return (
    <svg class="shield" role="img" aria-label={label} viewBox="0 0 24 24" width="18" height="18">
      <title>{label}</title>
      <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3z" fill="currentColor" />
      <path d="m8 12 3 3 5-6" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
