// Vite and Vitest configuration for Parley Web.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      // The frame types are generated from the Rust protocol crate; imported, never copied.
      "@parley/protocol": fileURLToPath(new URL("../protocol/typescript/protocol.ts", import.meta.url)),
    },
  },
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  server: {
    // `npm run dev` (hot reload on 5173, an origin the local bucket allows) next to `make dev`:
    // the page learns the stack's endpoints from the devstack's /config.json, as when served.
    proxy: { "/config.json": `http://127.0.0.1:${process.env.DEVSTACK_WEB_PORT ?? "8792"}` },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    rolldownOptions: {
      // The encryption module is an entry of its own, with its exports: the app loads it after
      // sign-in (src/app/session.ts; its engine is 2 MB of gzipped wasm, kept off the first
      // load), and a browser scenario imports it from the build on its own to run two in-page
      // devices under the served CSP. It exposes nothing globally.
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        crypto: fileURLToPath(new URL("src/client/crypto/index.ts", import.meta.url)),
      },
      preserveEntrySignatures: "exports-only",
    },
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    // The integration tests need a running local stack: PARLEY_STACK=../.devstack/stack.json.
    exclude: process.env.PARLEY_STACK ? [] : ["test/integration/**"],
  },
});
