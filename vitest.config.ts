import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["{domain,application,adapters,plugins,runtime,test}/**/*.test.ts"],
    setupFiles: ["test/setup/fast-check.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
