// End-to-end encryption for Parley Web (issue 15; docs/proposals/e2e-encryption.md §6.3): the
// web counterpart of the Rust client's client/src/crypto/. Browser code calls `initCrypto()`
// once, then `Crypto.open(user, device)`.
export { eventId, matrixUser, parleyUser, roomId, SERVER_NAME } from "./ids";
export { Crypto, storeName, type CryptoStore, type IdentityKeys } from "./machine";
export { decrypt, encrypt, receiveSync, MESSAGE_EVENT_TYPE, type Decryption, type Received, type SyncChanges, type ToDeviceMessage } from "./messages";
export type { Answer, KeyTransport, MatrixJson, Outgoing } from "./requests";
export { initCrypto } from "./wasm";
export { cryptoDatabases, DeviceEncryption, DEVICES_FRESH_FOR_MS } from "./device";
export { Verifications, viewOf } from "./verification";
