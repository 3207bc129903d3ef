// Loads the encryption engine's WebAssembly in the browser. The package's exports hide its
// `.wasm` and bundlers do not rewrite its `new URL(…, import.meta.url)`, so Vite copies the
// file into the build as a hashed asset (the `?url` import of its path) and the engine fetches
// it from there: same origin, so the Content-Security-Policy's `'self'` covers it, and
// compiling it needs `'wasm-unsafe-eval'` in script-src (infra/template.yaml). Node (tests)
// needs none of this: the package's Node entry loads the file itself.
import { initAsync } from "@matrix-org/matrix-sdk-crypto-wasm";
import wasmUrl from "../../../node_modules/@matrix-org/matrix-sdk-crypto-wasm/pkg/matrix_sdk_crypto_wasm_bg.wasm?url";

/** Fetches and compiles the engine once; every later call waits for the same load. */
export function initCrypto(): Promise<void> {
  return initAsync(wasmUrl);
}
