// This device's end-to-end encryption (issue 15; docs/proposals/e2e-encryption.md §6.1, §6.3):
// `Crypto` owns the OlmMachine (@matrix-org/matrix-sdk-crypto-wasm, the engine the Rust client
// runs natively) with its IndexedDB store, named per user and device. It turns what the
// machine needs from the server into plain data (`Outgoing`) for a `KeyTransport` and takes the
// answers back, feeds it the server's to-device batches, and encrypts and decrypts one
// conversation's messages (messages.ts). ParleyClient drives it through `DeviceEncryption`
// (device.ts). The wasm must be initialised first (wasm.ts in the browser).
import { DeviceId, OlmMachine, UserId } from "@matrix-org/matrix-sdk-crypto-wasm";
import { matrixUser } from "./ids";
import { markSent, outgoing, expectAnswer, type Answer, type KeyTransport, type MachineRequest, type Outgoing } from "./requests";

/** Where the machine keeps its keys and sessions. */
export type CryptoStore = "indexeddb" | "memory";

/** The IndexedDB store's name for `user`'s device `device` (the library adds `::matrix-sdk-crypto…`). */
export function storeName(user: string, device: string): string {
  return `parley-crypto-${user}-${device}`;
}

/** This device's public identity keys (base64), for a "safety number". */
export interface IdentityKeys {
  ed25519: string;
  curve25519: string;
}

export class Crypto {
  /** The last exchange with the server: one at a time, since the machine hands out each
   * request until it is answered, and claiming keys twice at once would waste one-time keys. */
  private exchange: Promise<unknown> = Promise.resolve();

  private constructor(readonly machine: OlmMachine) {}

  /** Opens (or creates) `user`'s device `device`: in IndexedDB (the browser) or in memory
   * (tests, Node). A store holding another device is refused by the library. */
  static async open(user: string, device: string, store: CryptoStore = "indexeddb"): Promise<Crypto> {
    const name = store === "indexeddb" ? storeName(user, device) : undefined;
    const machine = await OlmMachine.initialize(new UserId(matrixUser(user)), new DeviceId(device), name);
    return new Crypto(machine);
  }

  get deviceId(): string {
    return this.machine.deviceId.toString();
  }

  identityKeys(): IdentityKeys {
    const keys = this.machine.identityKeys;
    return { ed25519: keys.ed25519.toBase64(), curve25519: keys.curve25519.toBase64() };
  }

  /** What the machine wants sent now (key uploads, key queries, queued to-device messages). */
  async outgoingRequests(): Promise<Outgoing[]> {
    const out: Outgoing[] = [];
    for (const request of await this.machine.outgoingRequests()) {
      const plain = outgoing(request as MachineRequest);
      if (plain) out.push(plain);
      else console.warn(`an encryption request Parley does not serve (type ${request.type})`);
    }
    return out;
  }

  /** Hands the server's answer to request `requestId` to the machine. */
  markSent(requestId: string, answer: Answer): Promise<void> {
    return markSent(this.machine, requestId, answer);
  }

  /** Sends everything the machine wants sent, until it wants nothing more (after connecting,
   * after each sync). One exchange at a time. */
  processOutgoing(transport: KeyTransport): Promise<void> {
    return this.exclusive(() => this.processOutgoingNow(transport));
  }

  /** Runs `work` after every exchange before it (messages.ts holds it across a whole send). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exchange.then(work, work);
    this.exchange = run.catch(() => undefined);
    return run;
  }

  /** Sends one request and hands the answer back. */
  async send(transport: KeyTransport, request: Outgoing): Promise<void> {
    const answer = expectAnswer(request, await transport.send(request));
    await this.markSent(request.requestId, answer);
  }

  /** `processOutgoing` inside an exchange already held. */
  async processOutgoingNow(transport: KeyTransport): Promise<void> {
    // A key upload is followed by at most a query; more rounds mean a loop.
    for (let round = 0; round < 8; round++) {
      const requests = await this.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) await this.send(transport, request);
    }
    throw new Error("the encryption engine keeps asking for requests");
  }

  /** Releases the machine (and its store). */
  close(): void {
    this.machine.close();
  }
}
