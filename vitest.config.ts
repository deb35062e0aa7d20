import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["{domain,application,adapters,plugins,runtime,test}/**/*.test.ts"],
    setupFiles: ["test/setup/fast-check.ts"],
    // Two workers on the two cores the suite is sized for: the files are independent (each starts its
    // own service, scratch database or schema), and the suite's time stays well under its budget.
    maxWorkers: 2,
    testTimeout: 30_000,
    env: {
      // One pristine PGlite cluster for every database the suite makes (in process, and in every
      // service and CLI it starts), kept between runs on this machine: initdb costs about 3 s of CPU
      // each time. PGLITE_TEMPLATE= (empty) runs initdb every time.
      PGLITE_TEMPLATE: process.env["PGLITE_TEMPLATE"] ?? join(tmpdir(), "pos-integration-pglite-template"),
      // Node's compile cache for the processes the suite starts (services, CLIs): each starts sooner.
      NODE_COMPILE_CACHE: process.env["NODE_COMPILE_CACHE"] ?? join(tmpdir(), "pos-integration-node-compile-cache")
    },
    hookTimeout: 60_000
  }
})
