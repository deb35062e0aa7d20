import { Effect, Layer } from "effect"
import { SyncHistory } from "../../application/ports/catalog.ts"
import { recordSync } from "../observability/metrics.ts"

/**
 * A tenant's sync history, counting every sync it records on /metrics (`syncs_total`,
 * `sync_duration_seconds`, `sync_rows_total`), whichever path recorded it: a push, a pull, a POS
 * webhook's job. A record made inside a transaction that later rolls back is still counted.
 */
// A function, not a constant: a layer is built once per build by its identity, and every tenant
// needs its own (its own database's history), as cachedApiKeys() gives each its own cache.
export const meteredSyncHistory = () =>
  Layer.effect(
    SyncHistory,
    Effect.map(SyncHistory, (history) =>
      SyncHistory.of({
        ...history,
        record: (sync) => Effect.tap(history.record(sync), () => recordSync(sync))
      })
    )
  )
