import { Console, Effect, Schema } from "effect"
import { issueApiKey } from "../application/auth/issue-key.ts"
import { syncCatalog } from "../application/catalog/sync-catalog.ts"
import { syncOutlets } from "../application/catalog/sync-outlets.ts"
import { Outlets } from "../application/ports/catalog.ts"
import { LoyaltyLedger } from "../application/ports/loyalty-ledger.ts"
import { PosCredentialStore } from "../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../application/ports/tenant-directory.ts"
import { createTenant } from "../application/tenants/create-tenant.ts"
import type { Reward } from "../domain/loyalty.ts"
import type { TenantId } from "../domain/tenant.ts"
import type { AppSettings } from "./config.ts"
import demoMenu from "./demo/demo-menu.deliverect.json" with { type: "json" }
import demoOutlets from "./demo/demo-outlets.deliverect.json" with { type: "json" }
import {
  isSimulatorCredentials,
  type SimulatedPosCredentials,
  SimulatedPosError,
  startSimulatedPos,
  type WebhookTarget
} from "./demo/simulated-pos.ts"
import { type LoadedPlugin, PluginRegistry } from "./plugins/plugin-registry.ts"
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

/** The address the service's own listener answers on, for a client in this process. */
const loopbackOf = (host: string | undefined): string =>
  host === undefined || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host

/** What became of one demo outlet's credentials. */
type Connection = "connected" | "kept" | "missing"

/**
 * Points the demo outlets' Deliverect credentials at the simulated POS, as `npm run admin -- store
 * set-credentials` would (checked and encoded with the plugin's Schema, stored sealed). Credentials
 * an operator set on a demo outlet (another POS than the simulator) are kept: the demo never
 * overwrites a real connection. Stored ones that can no longer be read are replaced.
 */
const connectDemoOutlets = (deliverect: LoadedPlugin, credentials: SimulatedPosCredentials) =>
  Effect.gen(function* () {
    const repositories = yield* (yield* TenantDatabases).repositories(demoTenantId)
    return yield* Effect.gen(function* () {
      const schema = deliverect.plugin.credentials.outlet
      // A Schema error could quote the secrets: it is named, not shown.
      const encoded = yield* Schema.decodeUnknownEffect(schema)(credentials).pipe(
        Effect.flatMap(Schema.encodeUnknownEffect(schema)),
        Effect.mapError(
          () =>
            new SimulatedPosError({
              reason: `its credentials do not match the ${deliverect.manifest.id} plugin's outlet credentials`
            })
        )
      )
      const text = JSON.stringify(encoded)
      const store = yield* PosCredentialStore
      const found = yield* (yield* Outlets).findByExternalIds(
        deliverect.manifest.id,
        demoOutlets.map((outlet) => outlet.channelLinkId)
      )
      const outcome = new Map<string, Connection>(demoOutlets.map((outlet) => [outlet.channelLinkId, "missing"]))
      for (const outlet of found) {
        const current = yield* store.getOutlet(outlet.id).pipe(
          Effect.map((stored) => {
            if (stored === undefined) return undefined
            try {
              return JSON.parse(stored) as unknown
            } catch {
              return undefined
            }
          }),
          Effect.catchTag("UnreadableCredentials", () => Effect.succeed(undefined))
        )
        if (current !== undefined && !isSimulatorCredentials(current)) {
          outcome.set(outlet.externalId, "kept")
          continue
        }
        yield* store.setOutlet(outlet.id, text)
        outcome.set(outlet.externalId, "connected")
      }
      return outcome
    }).pipe(Effect.provideContext(repositories))
  }).pipe(Effect.scoped)

/**
 * The demo's point of sale (runtime/demo/simulated-pos.ts), for the life of the scope: started on
 * loopback at each start of a demo deployment, with the demo outlets' credentials pointed at it, so
 * an order placed on a demo outlet goes RECEIVED -> SUBMITTED -> ACCEPTED with no outside system. Its
 * webhooks come back to this service on `listeningPort` (known once the server listens), under the
 * demo tenant's host name. Only the demo tenant is touched; a failure is logged and the service
 * runs on without it.
 */
export const startDemoPos = (
  settings: Pick<AppSettings, "host" | "baseDomain" | "basePath" | "storage" | "credentialKeys">,
  listeningPort: () => number | undefined
) =>
  Effect.gen(function* () {
    const deliverect = (yield* PluginRegistry).get("deliverect")
    if (deliverect === undefined) {
      return yield* Effect.logInfo("demo POS not started: the Deliverect plugin is not loaded")
    }
    if ((yield* (yield* TenantDirectory).find(demoTenantId)) === undefined) return
    const pos = yield* startSimulatedPos({
      channelLinks: demoOutlets.map((outlet) => ({
        channelLinkId: outlet.channelLinkId,
        locationId: outlet.locationId
      })),
      webhookTarget: (): WebhookTarget | undefined => {
        const port = listeningPort()
        return port === undefined
          ? undefined
          : {
              address: loopbackOf(settings.host),
              port,
              path: `${settings.basePath}/api/v1/pos/${deliverect.manifest.id}/webhooks`,
              host: `${demoTenantId}.${settings.baseDomain}:${port}`
            }
      }
    })
    const outcome = yield* connectDemoOutlets(deliverect, pos.credentials).pipe(
      Effect.mapError(
        (error) =>
          new SimulatedPosError({
            reason:
              `the demo outlets' credentials could not be stored (${error.message})` +
              (settings.storage === "postgres" && settings.credentialKeys === undefined
                ? ": on PostgreSQL they need CREDENTIALS_KEYS"
                : "")
          })
      )
    )
    const kept = [...outcome].filter(([, connection]) => connection === "kept").map(([id]) => id)
    const connected = [...outcome].filter(([, connection]) => connection === "connected").map(([id]) => id)
    yield* Effect.logInfo("demo POS started: orders to the demo outlets go to it", { url: pos.url, connected })
    if (kept.length > 0) {
      yield* Effect.logInfo("demo outlets with credentials of another POS keep them", { outlets: kept })
    }
  }).pipe(
    Effect.catch((error) =>
      Effect.logWarning("demo POS not connected: orders to the demo outlets wait for credentials", {
        reason: error.message
      })
    )
  )
