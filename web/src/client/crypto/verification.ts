// Device verification with the engine's own SAS flow (issue 15; ../verification.ts says what
// the UI sees): `Device.requestVerification` starts a flow, a `VerificationRequest` is
// accepted, the side that asked starts SAS once the other is ready (the library's standard
// to-device flow, as Element and matrix-rust-sdk's example run it: a Rust device follows the
// same steps), the `Sas` gives the emojis and is confirmed or cancelled. Nothing of the
// protocol is written here: the library makes every message (`m.key.verification.*`), and
// marks the other device verified (locally trusted) when both sides confirmed.
//
// Messages go out two ways, both as to-device messages through the `KeyTransport`: the ones a
// call returns (request, ready, start, accept, mac, cancel) are sent at once, and the ones the
// library queues while it handles what came in (key, mac, done) go with its other outgoing
// requests (`Crypto.processOutgoing`, run after each batch and after each call here). A new
// incoming request is found in the batch that brought it (`Received.verificationRequests`).
import {
  DeviceId, Sas, UserId, VerificationMethod, VerificationRequestPhase, type VerificationRequest,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import type { DeviceVerifier, VerificationPhase, VerificationView } from "../verification";
import { matrixUser, parleyUser } from "./ids";
import type { Crypto } from "./machine";
import { outgoing, type KeyTransport, type MachineRequest } from "./requests";

/** Only emoji SAS: Parley shows no QR codes. */
const METHODS = [VerificationMethod.SasV1];

interface Flow {
  request: VerificationRequest;
  sas?: Sas;
  /** Whether this side called `startSas` (once). */
  sasStarted: boolean;
  /** The device this side asked (the request names it only once the device answers). */
  asked?: string;
  view: VerificationView;
  /** The view last handed to the listeners (JSON), none yet for a flow just tracked. */
  shown?: string;
}

export class Verifications implements DeviceVerifier {
  private transport: KeyTransport | undefined;
  private readonly flows = new Map<string, Flow>();
  private readonly listeners = new Set<(view: VerificationView) => void>();
  private readonly deviceListeners = new Set<(users: string[]) => void>();
  /** Updates run one at a time, after the library's callback returned. */
  private updates: Promise<void> = Promise.resolve();

  constructor(private readonly crypto: Crypto) {
    crypto.machine.registerDevicesUpdatedCallback(async (users) => {
      const ids = users.map((u) => parleyUser(u)).filter((u): u is string => u !== undefined);
      for (const listener of this.deviceListeners) listener(ids);
    });
  }

  /** The transport flows send through (the client's connection; set on every connect). */
  attach(transport: KeyTransport): void {
    this.transport = transport;
  }

  async start(user: string, deviceId: string): Promise<string> {
    const machine = this.crypto.machine;
    const device = await machine.getDevice(new UserId(matrixUser(user)), new DeviceId(deviceId));
    if (device === undefined) throw new Error(`the device ${deviceId} is not known here`);
    const [request, message] = device.requestVerification(METHODS);
    const flowId = request.flowId;
    this.track(request, deviceId);
    await this.send([message]);
    return flowId;
  }

  async accept(flowId: string): Promise<void> {
    const flow = this.flow(flowId);
    const message = flow.request.acceptWithMethods(METHODS);
    await this.send(message === undefined ? [] : [message]);
  }

  async confirm(flowId: string): Promise<void> {
    const sas = this.flow(flowId).sas;
    if (sas === undefined) throw new Error("there is no short code to confirm yet");
    await this.send(await sas.confirm());
  }

  async mismatch(flowId: string): Promise<void> {
    const sas = this.flow(flowId).sas;
    if (sas === undefined) throw new Error("there is no short code to compare yet");
    const message = sas.cancelWithCode("m.mismatched_sas");
    await this.send(message === undefined ? [] : [message]);
  }

  async cancel(flowId: string): Promise<void> {
    const flow = this.flow(flowId);
    const message = flow.sas !== undefined && !flow.sas.isCancelled() ? flow.sas.cancel() : flow.request.cancel();
    await this.send(message === undefined ? [] : [message]);
  }

  list(): VerificationView[] {
    return [...this.flows.values()].map((f) => f.view);
  }

  subscribe(listener: (view: VerificationView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onDevicesChanged(listener: (users: string[]) => void): () => void {
    this.deviceListeners.add(listener);
    return () => this.deviceListeners.delete(listener);
  }

  /** Requests that came in a batch (their `from` and `transaction_id`): tracked and shown. */
  received(requests: { user: string; flowId: string }[]): void {
    for (const { user, flowId } of requests) {
      if (this.flows.has(flowId)) continue;
      const request = this.crypto.machine.getVerificationRequest(new UserId(matrixUser(user)), flowId);
      if (request !== undefined) this.track(request);
    }
  }

  /** Resolves once every update so far ran (tests). */
  settled(): Promise<void> {
    return this.updates;
  }

  private flow(flowId: string): Flow {
    const flow = this.flows.get(flowId);
    if (flow === undefined) throw new Error(`no verification ${flowId}`);
    return flow;
  }

  private track(request: VerificationRequest, asked?: string): void {
    const flowId = request.flowId;
    const flow: Flow = { request, sasStarted: false, view: viewOf(request, undefined, asked), ...(asked !== undefined ? { asked } : {}) };
    this.flows.set(flowId, flow);
    request.registerChangesCallback(async () => this.schedule(flowId));
    this.schedule(flowId);
  }

  private schedule(flowId: string): void {
    this.updates = this.updates
      .then(() => this.update(flowId))
      .catch((error: unknown) => console.warn("parley verification:", error));
  }

  /** Moves a flow on where this side has to (start SAS, accept the other's start) and tells the UI. */
  private async update(flowId: string): Promise<void> {
    const flow = this.flows.get(flowId);
    if (flow === undefined) return;
    const { request } = flow;
    const phase = request.phase();
    if (phase === VerificationRequestPhase.Ready && request.weStarted() && !flow.sasStarted) {
      flow.sasStarted = true;
      const started = await request.startSas();
      if (started !== undefined) {
        const [sas, message] = started;
        this.follow(flow, sas);
        await this.send([message]);
      }
    }
    if (flow.sas === undefined) {
      const verification = request.getVerification();
      if (verification instanceof Sas) {
        this.follow(flow, verification);
        // The other side started SAS: accepting it is this side's part (nothing if already).
        const message = verification.accept();
        if (message !== undefined) await this.send([message]);
      }
    }
    const view = viewOf(request, flow.sas, flow.asked);
    // Past the comparison the library may give no emojis: the dialog keeps showing them.
    if (view.emojis === undefined && flow.view.emojis !== undefined) view.emojis = flow.view.emojis;
    flow.view = view;
    const shown = JSON.stringify(view);
    if (shown === flow.shown) return;
    flow.shown = shown;
    for (const listener of this.listeners) listener(view);
  }

  private follow(flow: Flow, sas: Sas): void {
    flow.sas = sas;
    sas.registerChangesCallback(async () => this.schedule(flow.view.flowId));
  }

  /** Sends the flow's messages, then whatever the library queued meanwhile. */
  private async send(messages: MachineRequest[]): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) throw new Error("not connected");
    await this.crypto.exclusive(async () => {
      for (const message of messages) {
        const out = outgoing(message);
        if (out === undefined) throw new Error(`a verification message Parley does not send (type ${message.type})`);
        await this.crypto.send(transport, out);
      }
      await this.crypto.processOutgoingNow(transport);
    });
  }
}

/** The UI's view of a flow. */
export function viewOf(request: VerificationRequest, sas: Sas | undefined, asked?: string): VerificationView {
  const user = parleyUser(request.otherUserId.toString()) ?? request.otherUserId.toString();
  const view: VerificationView = {
    flowId: request.flowId,
    user,
    deviceId: (sas?.otherDeviceId ?? request.otherDeviceId)?.toString() ?? asked,
    weStarted: request.weStarted(),
    phase: phaseOf(request, sas),
  };
  const emojis = sas?.emoji();
  if (emojis !== undefined) view.emojis = emojis.map((e) => ({ symbol: e.symbol, description: e.description }));
  const cancel = sas?.cancelInfo() ?? request.cancelInfo;
  if (view.phase === "cancelled" && cancel !== undefined) {
    view.cancelled = { reason: cancel.reason(), code: cancel.cancelCode(), byUs: cancel.cancelledbyUs() };
  }
  return view;
}

function phaseOf(request: VerificationRequest, sas: Sas | undefined): VerificationPhase {
  if (request.isCancelled() || sas?.isCancelled()) return "cancelled";
  if (request.isDone() || sas?.isDone()) return "done";
  if (sas?.haveWeConfirmed()) return "confirmed";
  if (sas?.canBePresented()) return "compare";
  if (request.phase() === VerificationRequestPhase.Requested) return "requested";
  return "waiting";
}
