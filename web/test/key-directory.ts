// A toy key directory for the encryption tests (test/crypto.test.ts, the browser scenario in
// e2e/): the server's future key directory and to-device inboxes in Maps, answering the crypto
// module's plain `Outgoing` requests as the server's key frames will (memo §6.1).
import type { Answer, KeyTransport, MatrixJson, Outgoing } from "../src/client/crypto/requests";
import type { ToDeviceMessage } from "../src/client/crypto/messages";

/** The server's future key directory and to-device inboxes, in Maps, speaking Outgoing/Answer. */
export class KeyDirectory {
  devices = new Map<string, Map<string, MatrixJson>>();
  oneTimeKeys = new Map<string, Map<string, unknown>>();
  inboxes = new Map<string, ToDeviceMessage[]>();
  requests: Outgoing["kind"][] = [];

  /** The transport of `user`'s device `device`. */
  transport(user: string, device: string): KeyTransport {
    return { send: async (request) => this.answer(user, device, request) };
  }

  answer(user: string, device: string, request: Outgoing): Answer {
    this.requests.push(request.kind);
    switch (request.kind) {
      case "keysUpload": {
        if (request.deviceKeys) {
          const devices = this.devices.get(user) ?? new Map<string, MatrixJson>();
          this.devices.set(user, devices.set(device, request.deviceKeys));
        }
        const stock = this.oneTimeKeys.get(`${user}|${device}`) ?? new Map<string, unknown>();
        for (const [id, key] of Object.entries(request.oneTimeKeys)) stock.set(id, key);
        this.oneTimeKeys.set(`${user}|${device}`, stock);
        return { kind: "keysUploaded", oneTimeKeyCounts: { signed_curve25519: stock.size } };
      }
      case "keysQuery":
        return { kind: "keys", devices: Object.fromEntries(request.users.map((u) => [u, Object.fromEntries(this.devices.get(u) ?? [])])) };
      case "keysClaim": {
        const claimed: Record<string, Record<string, MatrixJson>> = {};
        for (const [u, devices] of Object.entries(request.devices)) {
          for (const d of devices) {
            const stock = this.oneTimeKeys.get(`${u}|${d}`);
            const first = stock?.keys().next().value;
            if (stock && first !== undefined) {
              (claimed[u] ??= {})[d] = { [first]: stock.get(first) };
              stock.delete(first);
            }
          }
        }
        return { kind: "claimed", oneTimeKeys: claimed };
      }
      case "toDevice":
        for (const [u, byDevice] of Object.entries(request.messages)) {
          for (const [d, content] of Object.entries(byDevice)) {
            const at = `${u}|${d}`;
            this.inboxes.set(at, [...(this.inboxes.get(at) ?? []), { from: user, eventType: request.eventType, content }]);
          }
        }
        return { kind: "toDeviceSent" };
    }
  }

  /** A device's inbox, emptied, with its key count: what a sync frame will bring. */
  sync(user: string, device: string) {
    const toDevice = this.inboxes.get(`${user}|${device}`) ?? [];
    this.inboxes.delete(`${user}|${device}`);
    return { toDevice, oneTimeKeyCounts: { signed_curve25519: this.oneTimeKeys.get(`${user}|${device}`)?.size ?? 0 } };
  }
}
