import { Effect } from "effect"
import { OrderDueIndex } from "../../../application/ports/order-due-index.ts"

/** The order due index in memory: the same rules as the SQL table, one map. */
export const makeMemoryOrderDueIndex = () => {
  const entries = new Map<string, { dueAt: Date; version: number }>()
  return OrderDueIndex.of({
    mark: (tenantId, dueAt) =>
      Effect.sync(() => {
        const entry = entries.get(tenantId)
        entries.set(
          tenantId,
          entry === undefined
            ? { dueAt, version: 1 }
            : { dueAt: new Date(Math.min(dueAt.getTime(), entry.dueAt.getTime())), version: entry.version + 1 }
        )
      }),
    due: (now, limit) =>
      Effect.sync(() =>
        [...entries]
          .filter(([, e]) => e.dueAt <= now)
          .sort(([a, x], [b, y]) => x.dueAt.getTime() - y.dueAt.getTime() || (a < b ? -1 : a > b ? 1 : 0))
          .slice(0, limit)
          .map(([tenantId, e]) => ({ tenantId, dueAt: e.dueAt, version: e.version }))
      ),
    settle: (tenantId, version, next) =>
      Effect.sync(() => {
        const entry = entries.get(tenantId)
        if (entry === undefined || entry.version !== version) return false
        if (next === null) entries.delete(tenantId)
        else entries.set(tenantId, { dueAt: next, version })
        return true
      }),
    find: (tenantId) =>
      Effect.sync(() => {
        const entry = entries.get(tenantId)
        return entry === undefined ? null : { tenantId, dueAt: entry.dueAt, version: entry.version }
      }),
    earliest: () =>
      Effect.sync(() => {
        let first: Date | null = null
        for (const e of entries.values()) if (first === null || e.dueAt < first) first = e.dueAt
        return first
      })
  })
}
