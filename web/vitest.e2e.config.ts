// The browser scenarios (e2e/): one local stack and one Chromium for the whole run, the
// scenarios in order in one file. `make web-e2e` runs them (part of `make test`).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "@parley/protocol": fileURLToPath(new URL("../protocol/typescript/protocol.ts", import.meta.url)) },
  },
  test: {
    include: ["e2e/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 180_000,
  },
});
