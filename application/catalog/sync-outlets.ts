import { Clock, Effect } from "effect"
import type { OutletSnapshot } from "../../domain/catalog.ts"
import { InvalidPayload } from "../../domain/errors.ts"
import { outletId } from "../../domain/ids.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { Outlets, type StoreRow, SyncHistory, type SyncSource } from "../ports/catalog.ts"
import { outletIssues } from "../pos-sdk/invariants.ts"
import type { PosPlugin } from "../pos-sdk/plugin.ts"
import { sameRow } from "./row-equality.ts"
import { newSyncId } from "./sync-ids.ts"

export interface OutletSyncResult {
  readonly syncId: string
  readonly counts: {
    readonly created: number
    readonly updated: number
    readonly unchanged: number
    readonly deactivated: number
  }
  readonly outlets: ReadonlyArray<{
    readonly outletId: string
    readonly externalId: string
    readonly outcome: "created" | "updated" | "unchanged" | "deactivated"
  }>
}

const toRow = (
  provider: string,
  tenant: Tenant,
  o: OutletSnapshot,
  existing: StoreRow | undefined,
  now: Date
): StoreRow => ({
  id: outletId(provider, o.externalId),
  provider,
  externalId: o.externalId,
  name: o.name,
  active: o.active,
  currency: o.currency ?? existing?.currency ?? tenant.currency,
  timezone: o.timezone ?? existing?.timezone ?? null,
  country: o.country ?? existing?.country ?? null,
  address: o.address,
  postalCode: o.postalCode,
  phone: o.phone,
  taxInclusive: o.taxInclusive,
  serviceHours: o.serviceHours,
  identifiers: o.identifiers,
  // A payload that does not name the account leaves the one known.
  accountId: o.accountId ?? existing?.accountId ?? null,
  // Busy mode is the POS webhooks'; an outlet sync never writes it.
  busyMode: existing?.busyMode ?? "ONLINE",
  createdAt: existing?.createdAt ?? now,
  updatedAt: now
})

/**
 * Outlet sync upserts: outlets in the payload are created or updated, an outlet missing from it is
 * left alone (vendors register stores one at a time), and one is deactivated only when its payload
 * says so. Unchanged rows are not rewritten.
 */
export const syncOutlets = Effect.fnUntraced(function* (input: {
  readonly plugin: PosPlugin
  readonly tenant: Tenant
  readonly payload: unknown
}) {
  const provider = input.plugin.manifest.id
  const decoded = yield* input.plugin
    .decodeOutlets(input.payload)
    .pipe(Effect.mapError((e) => new InvalidPayload({ provider, issues: e.issues })))
  return yield* applyOutletSnapshots({ provider, tenant: input.tenant, snapshots: decoded, source: "push" })
})

/**
 * The one outlet sync of decoded or pulled outlets (a pull's `fetchOutlets` goes through exactly
 * what a push of the same outlets would): their invariants, then the upsert and its history record.
 */
export const applyOutletSnapshots = Effect.fnUntraced(function* (input: {
  readonly provider: string
  readonly tenant: Tenant
  readonly snapshots: ReadonlyArray<OutletSnapshot>
  readonly source: SyncSource
}) {
  const { provider } = input
  const decoded = input.snapshots
  const issues = outletIssues(decoded)
  if (issues.length > 0) return yield* new InvalidPayload({ provider, issues })
  // The same outlet listed twice (identically) counts once.
  const snapshots = [...new Map(decoded.map((o) => [o.externalId, o])).values()]

  const outlets = yield* Outlets
  const history = yield* SyncHistory
  const startedAt = new Date(yield* Clock.currentTimeMillis)
  const existing = new Map(
    (yield* outlets.findByExternalIds(
      provider,
      snapshots.map((o) => o.externalId)
    )).map((r) => [r.externalId, r])
  )
  const counts = { created: 0, updated: 0, unchanged: 0, deactivated: 0 }
  const results: Array<OutletSyncResult["outlets"][number]> = []
  const changed: Array<StoreRow> = []
  for (const snapshot of snapshots) {
    const current = existing.get(snapshot.externalId)
    const row = toRow(provider, input.tenant, snapshot, current, startedAt)
    const outcome =
      current === undefined
        ? "created"
        : sameRow(current, row)
          ? "unchanged"
          : current.active && !row.active
            ? "deactivated"
            : "updated"
    counts[outcome]++
    results.push({ outletId: row.id, externalId: row.externalId, outcome })
    if (outcome !== "unchanged") changed.push(row)
  }
  if (changed.length > 0) yield* outlets.save(changed)
  const syncId = yield* newSyncId
  yield* history.record({
    id: syncId,
    kind: "outlets",
    provider,
    source: input.source,
    storeId: null,
    status: "succeeded",
    counts: { outlets: counts },
    error: null,
    fingerprint: null,
    callbackUrl: null,
    pushedOutlets: null,
    startedAt,
    finishedAt: new Date(yield* Clock.currentTimeMillis)
  })
  return { syncId, counts, outlets: results } satisfies OutletSyncResult
})
