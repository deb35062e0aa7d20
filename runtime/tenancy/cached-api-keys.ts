import { Clock, Effect, Layer } from "effect"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import type { ApiKeyRecord } from "../../domain/api-key.ts"
import { makeRefreshingSet } from "./refreshing-set.ts"
import { TtlCache } from "./ttl-cache.ts"

const isLive = (record: ApiKeyRecord, at: number) =>
  record.revokedAt === null && (record.expiresAt === null || record.expiresAt.getTime() > at)

/**
 * One tenant's ApiKeys as the service uses them, over the tenant's store:
 * - the live key ids are held in memory and read again once per TTL, so a made-up key id costs no
 *   storage call; keys issued or revoked through this layer change the set at once;
 * - key rows are read at most once per TTL per key, so whoami costs no database round trip in the
 *   steady state;
 * - `touch` reaches the database at most once a minute per key.
 */
export const cachedApiKeys = (ttlMs: number) =>
  Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const rows = new TtlCache<number, ApiKeyRecord>(ttlMs, 10_000)
      const touched = new TtlCache<number, true>(60_000, 10_000)
      const live = yield* makeRefreshingSet<number>({
        name: "live api key ids",
        load: Effect.flatMap(Clock.currentTimeMillis, (now) => keys.liveIds(new Date(now))),
        ttlMs
      })
      return ApiKeys.of({
        ...keys,
        insert: (key) =>
          Effect.tap(keys.insert(key), (record) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.sync(() => {
                if (isLive(record, now)) live.add(record.id)
              })
            )
          ),
        findById: (id) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const hit = rows.get(id, now)
            if (hit !== undefined) return Effect.succeed(hit)
            // Only found rows are cached: a probe of an unused id must not hide the key that gets it next.
            return Effect.map(keys.findById(id), (row) => {
              if (row !== undefined) rows.set(id, row, now)
              return row
            })
          }),
        // The set as of its last read, at most a TTL old: a key that expired since then is still in
        // it, which is why the caller checks the row's own state as well.
        liveIds: () => live.current,
        revoke: (id, at) =>
          Effect.tap(keys.revoke(id, at), () =>
            Effect.sync(() => {
              rows.delete(id)
              live.delete(id)
            })
          ),
        // A rotation's overlap: the key stays live until `at`, so it stays in the set unless it is
        // no longer live (or unknown); the cached row goes, so the next read sees the new expiry.
        expireBy: (id, at) =>
          Effect.tap(keys.expireBy(id, at), (record) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.sync(() => {
                rows.delete(id)
                if (record === undefined || !isLive(record, now)) live.delete(id)
              })
            )
          ),
        touch: (id, at) =>
          Effect.suspend(() => {
            if (touched.get(id, at.getTime()) !== undefined) return Effect.void
            touched.set(id, true, at.getTime())
            return keys.touch(id, at)
          })
      })
    })
  )
