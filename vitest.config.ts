import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["{domain,application,adapters,plugins,runtime,test}/**/*.test.ts"],
    setupFiles: ["test/setup/fast-check.ts"],
    // Two workers on the two cores the suite is sized for: the files are independent (each starts its
    // own service, scratch database or schema), and the suite's time stays well under its budget.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
