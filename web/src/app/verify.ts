/**
 * The UI's side of device verification (the client's `DeviceVerifier`, src/client/verification.ts):
 * every flow's latest view, which one the dialog shows (the one the user started or accepted),
 * the requests waiting for an answer (the banner), and a count of the engine's device changes
 * (a verification stored, a device added), so device lists and the chat header's shield read
 * the devices again. One per client.
 */
import type { DeviceInfo, DeviceVerifier, ParleyClient, VerificationView } from "../client";

export class VerifyState {
  /** Each flow's latest view, by flow id. */
  readonly flows = new Map<string, VerificationView>();
  /** The flow the dialog shows, until the user closes it. */
  open: string | undefined;
  /** Bumped when the engine stored a change to someone's devices: they are read again. */
  revision = 0;
  /** Why the last start, accept, confirm or cancel failed (e.g. offline), until the next. */
  error: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly verifier: DeviceVerifier | undefined) {
    for (const view of verifier?.list() ?? []) this.flows.set(view.flowId, view);
    verifier?.subscribe((view) => {
      this.flows.set(view.flowId, view);
      this.changed();
    });
    verifier?.onDevicesChanged(() => {
      this.revision++;
      this.changed();
    });
  }

  /** Incoming requests not answered yet, oldest first. */
  requests(): VerificationView[] {
    return [...this.flows.values()].filter((v) => v.phase === "requested" && v.flowId !== this.open);
  }

  /** The flow the dialog shows. */
  shown(): VerificationView | undefined {
    return this.open === undefined ? undefined : this.flows.get(this.open);
  }

  start(user: string, deviceId: string): Promise<void> {
    return this.act(async (verifier) => {
      this.open = await verifier.start(user, deviceId);
    });
  }

  accept(flowId: string): Promise<void> {
    this.open = flowId;
    return this.act((verifier) => verifier.accept(flowId));
  }

  confirm(flowId: string): Promise<void> {
    return this.act((verifier) => verifier.confirm(flowId));
  }

  /** The emojis do not match. */
  mismatch(flowId: string): Promise<void> {
    return this.act((verifier) => verifier.mismatch(flowId));
  }

  /** Declines, or gives up waiting. */
  cancel(flowId: string): Promise<void> {
    return this.act((verifier) => verifier.cancel(flowId));
  }

  close(): void {
    this.open = undefined;
    this.error = undefined;
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async act(work: (verifier: DeviceVerifier) => Promise<void>): Promise<void> {
    this.error = undefined;
    try {
      if (this.verifier === undefined) throw new Error("this browser does not encrypt");
      await work(this.verifier);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

const states = new WeakMap<ParleyClient, VerifyState>();

/** The client's verification state (made on first use). */
export function verifyState(client: ParleyClient): VerifyState {
  let state = states.get(client);
  if (state === undefined) {
    state = new VerifyState(client.verifications);
    states.set(client, state);
  }
  return state;
}

/** Whether every device of someone is verified (and they have one): the direct chat's shield. */
export function allVerified(devices: DeviceInfo[]): boolean {
  return devices.length > 0 && devices.every((d) => d.verified);
}
