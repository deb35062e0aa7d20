import { Console, Effect } from "effect"
import { issueApiKey } from "../application/auth/issue-key.ts"
import { syncCatalog } from "../application/catalog/sync-catalog.ts"
import { syncOutlets } from "../application/catalog/sync-outlets.ts"
import { LoyaltyLedger } from "../application/ports/loyalty-ledger.ts"
import { TenantDirectory } from "../application/ports/tenant-directory.ts"
import { createTenant } from "../application/tenants/create-tenant.ts"
import type { Reward } from "../domain/loyalty.ts"
import type { TenantId } from "../domain/tenant.ts"
import demoMenu from "./demo/demo-menu.deliverect.json" with { type: "json" }
import demoOutlets from "./demo/demo-outlets.deliverect.json" with { type: "json" }
import { PluginRegistry } from "./plugins/plugin-registry.ts"
import { TenantDatabases } from "./tenancy/tenant-databases.ts"

export const demoTenantId = "demo" as TenantId

const demoRewards: ReadonlyArray<Reward> = [
  { rewardId: "free-drink", name: "Free drink", points: 50 },
  { rewardId: "free-dessert", name: "Free dessert", points: 120 }
]

/**
 * First start of an embedded deployment: a `demo` tenant with two outlets and a menu (pushed
 * through the Deliverect plugin in Deliverect's own format, as a real POS would), two loyalty
 * rewards, and one partner key, printed once. Later keys come from the admin CLI.
 */
export const ensureDemoTenant = Effect.gen(function* () {
  const directory = yield* TenantDirectory
  if ((yield* directory.find(demoTenantId)) !== undefined) return
  const tenant = yield* createTenant({ id: demoTenantId, name: "Demo" })
  const databases = yield* TenantDatabases
  const repositories = yield* databases.repositories(demoTenantId)
  const deliverect = (yield* PluginRegistry).get("deliverect")
  if (deliverect !== undefined) {
    yield* Effect.gen(function* () {
      yield* syncOutlets({ plugin: deliverect.plugin, tenant, payload: demoOutlets })
      yield* syncCatalog({
        plugin: deliverect.plugin,
        payload: demoMenu,
        externalOutletId: null,
        fingerprint: null,
        options: { dryRun: false, force: false, lockWaitMs: 10_000, maxDeactivationPercent: 30 }
      })
    }).pipe(
      Effect.provideContext(repositories),
      Effect.catch((error) => Effect.logWarning("demo menu not loaded", { reason: error._tag }))
    )
  }
  // Rewards for the embedded loyalty ledger, so POST /loyalty/redeem has something to redeem.
  yield* Effect.flatMap(LoyaltyLedger, (ledger) =>
    Effect.forEach(demoRewards, (reward) => ledger.setReward(reward, new Date()), { discard: true })
  ).pipe(Effect.provideContext(repositories))
  const issued = yield* issueApiKey({ kind: "partner", name: "demo partner key" }).pipe(
    Effect.provideContext(repositories)
  )
  yield* Console.log(`demo api key: ${issued.plaintext}`)
  yield* Console.log(
    "(shown once; issue another with: npm run admin -- key issue demo --kind partner, while the service is stopped)"
  )
}).pipe(Effect.scoped)
