// The UI's verification state (src/app/verify.ts) over a scripted verifier: which requests the
// banner shows, which flow the dialog shows, when device lists are read again, what a failed
// action says. The flow itself is tested with real engines in verification.test.ts.
import { describe, expect, it } from "vitest";
import type { DeviceVerifier, VerificationView } from "../src/client/verification";
import { allVerified, VerifyState } from "../src/app/verify";

class ScriptedVerifier implements DeviceVerifier {
  listener: ((view: VerificationView) => void) | undefined;
  devicesChanged: ((users: string[]) => void) | undefined;
  calls: string[] = [];
  refuse = false;
  async start(user: string, deviceId: string): Promise<string> {
    if (this.refuse) throw new Error("connection closed");
    this.calls.push(`start ${user} ${deviceId}`);
    return "F1";
  }
  async accept(flowId: string): Promise<void> {
    this.calls.push(`accept ${flowId}`);
  }
  async confirm(flowId: string): Promise<void> {
    this.calls.push(`confirm ${flowId}`);
  }
  async mismatch(flowId: string): Promise<void> {
    this.calls.push(`mismatch ${flowId}`);
  }
  async cancel(flowId: string): Promise<void> {
    this.calls.push(`cancel ${flowId}`);
  }
  list(): VerificationView[] {
    return [view("F0", "requested")];
  }
  subscribe(listener: (view: VerificationView) => void): () => void {
    this.listener = listener;
    return () => {};
  }
  onDevicesChanged(listener: (users: string[]) => void): () => void {
    this.devicesChanged = listener;
    return () => {};
  }
}

function view(flowId: string, phase: VerificationView["phase"]): VerificationView {
  return { flowId, user: "dora", deviceId: "DORADEVICE000001", weStarted: flowId === "F1", phase };
}

describe("the UI's verification state", () => {
  it("shows requests in the banner until accepted, the accepted or started flow in the dialog; device changes bump the revision", async () => {
    const verifier = new ScriptedVerifier();
    const state = new VerifyState(verifier);
    let renders = 0;
    state.subscribe(() => renders++);
    // A request that came before the UI subscribed is listed.
    expect(state.requests().map((v) => v.flowId)).toEqual(["F0"]);
    await state.accept("F0");
    expect(verifier.calls).toEqual(["accept F0"]);
    expect(state.requests()).toEqual([]);
    expect(state.shown()?.flowId).toBe("F0");
    state.close();
    expect(state.shown()).toBeUndefined();

    await state.start("dora", "DORADEVICE000001");
    expect(state.open).toBe("F1");
    verifier.listener!(view("F1", "waiting"));
    verifier.listener!(view("F1", "compare"));
    expect(state.shown()?.phase).toBe("compare");
    verifier.listener!(view("F1", "done"));
    expect(state.shown()?.phase).toBe("done");
    expect(state.revision).toBe(0);
    verifier.devicesChanged!(["dora"]);
    expect(state.revision).toBe(1);
    expect(renders).toBeGreaterThanOrEqual(5);
  });

  it("keeps why an action failed, until the dialog closes", async () => {
    const verifier = new ScriptedVerifier();
    verifier.refuse = true;
    const state = new VerifyState(verifier);
    await state.start("dora", "DORADEVICE000001");
    expect(state.error).toBe("connection closed");
    expect(state.open).toBeUndefined();
    state.close();
    expect(state.error).toBeUndefined();
    const plain = new VerifyState(undefined);
    await plain.start("dora", "DORADEVICE000001");
    expect(plain.error).toBe("this browser does not encrypt");
  });

  it("the shield needs every device verified, and at least one", () => {
    const device = (verified: boolean) => ({ deviceId: "D", own: false, firstSeen: 0, verified });
    expect(allVerified([])).toBe(false);
    expect(allVerified([device(true), device(false)])).toBe(false);
    expect(allVerified([device(true), device(true)])).toBe(true);
  });
});
