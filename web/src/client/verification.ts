/**
 * Device verification as the UI sees it (issue 15: "users can verify each other's devices by
 * comparing a short code"): the encryption engine's own SAS flow (crypto/verification.ts) with
 * its verification messages sent as to-device messages, unencrypted, as Matrix sends them
 * (SAS is made for an untrusted channel). Types only: the engine is loaded lazily.
 *
 * A flow: one side starts it with one device of a contact (or another of its own devices);
 * the other side sees it `requested` and accepts or declines; both then see the same seven
 * emojis and each says whether they match. When both said they match, each side marks the
 * other's device verified (trusted on this device only: Parley has no cross-signing, see
 * docs/encryption.md); "they don't match" cancels the flow on both sides.
 */

/** One emoji of the short code, as the library names it (e.g. 🐶 "Dog"). */
export interface SasEmoji {
  symbol: string;
  description: string;
}

/** Where a verification flow stands. */
export type VerificationPhase =
  /** Someone asked to verify with this device: accept or decline. */
  | "requested"
  /** Waiting for the other side (to accept, to start, for the keys to be exchanged). */
  | "waiting"
  /** The emojis are shown: say whether they match. */
  | "compare"
  /** This side said they match; waiting for the other side. */
  | "confirmed"
  /** Both said they match: the other device is verified. */
  | "done"
  /** Declined, "they don't match", timed out, or refused by the other side: see `cancelled`. */
  | "cancelled";

/** A verification flow's state, handed to the UI on every change. */
export interface VerificationView {
  /** The flow's id (the `transaction_id` of its messages). */
  flowId: string;
  /** The other side's Parley user id (this user's own for one of their other devices). */
  user: string;
  /** The other side's device, once known (always for a flow this side started). */
  deviceId: string | undefined;
  /** This side asked. */
  weStarted: boolean;
  phase: VerificationPhase;
  /** The seven emojis, from the moment both sides can show them. */
  emojis?: SasEmoji[];
  /** Why it ended, when `phase` is "cancelled". */
  cancelled?: { reason: string; code: string; byUs: boolean };
}

/** This device's verification flows. */
export interface DeviceVerifier {
  /** Asks `user`'s device `deviceId` to verify; resolves with the flow's id once sent. */
  start(user: string, deviceId: string): Promise<string>;
  /** Accepts a `requested` flow. */
  accept(flowId: string): Promise<void>;
  /** The emojis match. */
  confirm(flowId: string): Promise<void>;
  /** The emojis do not match: the flow is cancelled on both sides as `m.mismatched_sas`. */
  mismatch(flowId: string): Promise<void>;
  /** Declines a request, or gives up waiting: the flow is cancelled on both sides (`m.user`). */
  cancel(flowId: string): Promise<void>;
  /** Every flow this device knows of in this session, oldest first. */
  list(): VerificationView[];
  /** Called with a flow whenever it changes (a new request included). */
  subscribe(listener: (view: VerificationView) => void): () => void;
  /**
   * Called when the engine stored a change to these users' devices: new ones, or a device
   * verified (the engine stores the trust just after the flow reports done, so device
   * lists are read again on this, not on "done").
   */
  onDevicesChanged(listener: (users: string[]) => void): () => void;
}
