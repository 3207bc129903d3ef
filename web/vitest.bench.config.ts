// `make web-bench`: e2e/web-bench.ts, measuring (not asserting) in headless Chromium.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "@parley/protocol": fileURLToPath(new URL("../protocol/typescript/protocol.ts", import.meta.url)) },
  },
  test: {
    include: ["e2e/web-bench.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
