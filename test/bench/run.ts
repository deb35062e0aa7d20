import { availableParallelism, loadavg } from "node:os"
import { catalogSyncSection } from "./catalog-sync.ts"
import { type BenchSection, benchSettings, installCleanupHandlers, loud } from "./harness.ts"
import { hotPathsSection } from "./hot-paths.ts"
import { loyaltySection } from "./loyalty.ts"
import { menuSection } from "./menu.ts"
import { ordersSection } from "./orders.ts"
import { whoamiSection } from "./whoami.ts"

/**
 * `npm run bench`: runs every section in order, or those named in BENCH (comma-separated).
 * Env: BENCH, BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (50), BENCH_STRICT,
 * STORAGE (pglite | memory | postgres with DATABASE_URL), BENCH_API_KEY; the table section: BENCH_TABLE_ROWS,
 * BENCH_TABLE_FILE, BENCH_TABLE_CATALOG_ITEMS (see hot-paths.ts); the sync section: BENCH_SYNC_ITEMS,
 * BENCH_SYNC_STORAGES, BENCH_DATABASE_URL (see catalog-sync.ts); the loyalty section: BENCH_LOYALTY_TIMEOUT_MS,
 * BENCH_LOYALTY_SAMPLES (see loyalty.ts); the menu section: BENCH_MENU_CATALOG_ITEMS, BENCH_MENU_PUBLISH_ITEMS,
 * BENCH_MENU_STORES, BENCH_MENU_READ_ITEMS, BENCH_MENU_PUBLISH_RUNS, BENCH_DATABASE_URL (see menu.ts); the orders section:
 * BENCH_ORDERS_OUTLETS, BENCH_ORDERS_CATALOG_ITEMS, BENCH_ORDERS_POS_DELAY_MS, BENCH_ORDERS_DRAIN_SECONDS (see orders.ts).
 * Add a section: write test/bench/<name>.ts exporting a BenchSection, and list it here.
 */

const sections: ReadonlyArray<BenchSection> = [
  hotPathsSection,
  whoamiSection,
  catalogSyncSection,
  loyaltySection,
  menuSection,
  ordersSection
]

installCleanupHandlers()

const filter = (process.env["BENCH"] ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "")
const unknown = filter.filter((name) => !sections.some((s) => s.name === name))
if (unknown.length > 0) {
  console.error(`unknown BENCH section(s): ${unknown.join(", ")}; known: ${sections.map((s) => s.name).join(", ")}`)
  process.exit(2)
}
const selected = filter.length === 0 ? sections : sections.filter((s) => filter.includes(s.name))

const settings = benchSettings()
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(" ")
console.log(
  `node ${process.version}, ${availableParallelism()} cores, load average ${load} (other work on the machine skews results), ` +
    `sections: ${selected.map((s) => s.name).join(", ")}`
)

const failures: Array<string> = []
for (const section of selected) {
  console.log("")
  console.log(`== ${section.name}: ${section.description}`)
  try {
    const outcome = await section.run(settings)
    failures.push(...outcome.failures)
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    failures.push(`${section.name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
  }
}

console.log("")
if (failures.length > 0) {
  console.log(loud(`BENCH FAILED (${failures.length})`))
  for (const failure of failures) console.log(`  - ${failure}`)
  process.exit(1)
}
console.log("bench: ok")
process.exit(0)
