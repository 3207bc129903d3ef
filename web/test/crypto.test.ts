// The web client's encryption module (src/client/crypto/, issue 15): two devices, in-memory
// stores (the package's Node entry), exchange a conversation's messages through a toy key
// directory that answers the module's plain `Outgoing` requests as the server's key frames
// will (docs/proposals/e2e-encryption.md §6.1). Each kind of `Decryption` is reached.
import { initAsync, RoomId } from "@matrix-org/matrix-sdk-crypto-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { matrixUser, parleyUser, roomId } from "../src/client/crypto/ids";
import { Crypto, storeName } from "../src/client/crypto/machine";
import { decrypt, encrypt, receiveSync } from "../src/client/crypto/messages";
import { KeyDirectory } from "./key-directory";

const ALICE = "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15";
const BOB = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
const CAROL = "c0ffee00-1111-4222-8333-444455556666";
const DIRECT = `d:${ALICE}:${BOB}`;

async function device(directory: KeyDirectory, user: string, id: string) {
  const crypto = await Crypto.open(user, id, "memory");
  await crypto.processOutgoing(directory.transport(user, id));
  return crypto;
}

beforeAll(async () => {
  await initAsync();
});

describe("ids", () => {
  it("map Parley ids to Matrix ids and back, as the Rust client does", () => {
    expect(matrixUser(ALICE)).toBe(`@${ALICE}:parley`);
    expect(parleyUser(`@${ALICE}:parley`)).toBe(ALICE);
    expect(parleyUser("@x:matrix.org")).toBeUndefined();
    expect(roomId("d:alice:bob")).toBe("!d.alice.bob:parley");
    expect(storeName(ALICE, "ALICEBROWSER")).toBe(`parley-crypto-${ALICE}-ALICEBROWSER`);
  });
});

describe("the web client's encryption module", () => {
  it("uploads keys, shares a room key and decrypts both ways; a message before its key is missing it", async () => {
    const directory = new KeyDirectory();
    const alice = await device(directory, ALICE, "ALICEBROWSER");
    const bob = await device(directory, BOB, "BOBBROWSER01");
    expect(directory.requests.slice(0, 2)).toEqual(["keysUpload", "keysQuery"]);
    expect(directory.devices.get(BOB)?.has("BOBBROWSER01")).toBe(true);
    const bobKeys = directory.oneTimeKeys.get(`${BOB}|BOBBROWSER01`)?.size ?? 0;
    expect(bobKeys).toBeGreaterThan(0);

    const hello = await encrypt(alice, directory.transport(ALICE, "ALICEBROWSER"), DIRECT, [BOB], { body: "hello bob" });
    expect(hello).not.toContain("hello bob");
    expect(directory.oneTimeKeys.get(`${BOB}|BOBBROWSER01`)?.size).toBe(bobKeys - 1);

    // Before bob's device has read its inbox, the room key is missing.
    const early = await decrypt(bob, DIRECT, ALICE, "01JDX4P7Q8R9S0T1U2V3W4X5Y6", 1764068700789, hello);
    const sessionId = (JSON.parse(hello) as { session_id: string }).session_id;
    expect(early).toEqual({ kind: "missingKey", sessionId });

    await bob.processOutgoing(directory.transport(BOB, "BOBBROWSER01"));
    const received = await receiveSync(bob, directory.sync(BOB, "BOBBROWSER01"));
    expect(received).toEqual({ roomKeys: [{ roomId: roomId(DIRECT), sessionId }], undecryptable: 0, verificationRequests: [] });
    expect(await decrypt(bob, DIRECT, ALICE, "01JDX4P7Q8R9S0T1U2V3W4X5Y6", 1764068700789, hello)).toEqual({
      kind: "decrypted",
      content: { body: "hello bob" },
      senderDevice: "ALICEBROWSER",
    });

    const reply = await encrypt(bob, directory.transport(BOB, "BOBBROWSER01"), DIRECT, [ALICE], { body: "hi alice" });
    await receiveSync(alice, directory.sync(ALICE, "ALICEBROWSER"));
    expect(await decrypt(alice, DIRECT, BOB, "01JDX4P7Q8R9S0T1U2V3W4X5Y7", 1764068700790, reply)).toMatchObject({
      kind: "decrypted",
      content: { body: "hi alice" },
    });
    alice.close();
    bob.close();
  });

  it("refuses a message passed off as another member's, one replayed into another conversation, and a foreign event", async () => {
    const directory = new KeyDirectory();
    const alice = await device(directory, ALICE, "ALICEBROWSER");
    const bob = await device(directory, BOB, "BOBBROWSER01");
    await device(directory, CAROL, "CAROLBROWSER");
    const group = `g:${"ab".repeat(16)}`;
    const message = await encrypt(alice, directory.transport(ALICE, "ALICEBROWSER"), group, [BOB, CAROL], { body: "from alice" });
    await bob.processOutgoing(directory.transport(BOB, "BOBBROWSER01"));
    await receiveSync(bob, directory.sync(BOB, "BOBBROWSER01"));
    // bob must know carol's device for the library to compare the key's owner with her.
    await encrypt(bob, directory.transport(BOB, "BOBBROWSER01"), group, [ALICE, CAROL], { body: "warm-up" });

    expect(await decrypt(bob, group, CAROL, "m1", 1764068700789, message)).toEqual({ kind: "mismatchedSender", claimed: CAROL });
    expect(await decrypt(bob, group, ALICE, "m1", 1764068700789, message)).toMatchObject({ kind: "decrypted" });
    const replayed = await decrypt(bob, DIRECT, ALICE, "m1", 1764068700789, message);
    // Sessions are looked up by conversation: the same as a key that has not come (as in Rust).
    expect(replayed).toEqual({ kind: "missingKey", sessionId: (JSON.parse(message) as { session_id: string }).session_id });
    // Decrypts, but is not a Parley message.
    const foreign = await alice.machine.encryptRoomEvent(new RoomId(roomId(group)), "m.room.message", JSON.stringify({ body: "x" }));
    expect(await decrypt(bob, group, ALICE, "m2", 1764068700790, foreign)).toEqual({
      kind: "undecryptable",
      reason: "an event of type m.room.message",
    });
    alice.close();
    bob.close();
  });
});
