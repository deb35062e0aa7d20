import { Effect } from "effect"
import { OrderDueIndex } from "../../../application/ports/order-due-index.ts"

/**
 * The order due index in memory: the same rules as the SQL table, one map. A tenant with nothing
 * due keeps its version (due null), as the table keeps its row: a version never comes back.
 */
export const makeMemoryOrderDueIndex = () => {
  const entries = new Map<string, { dueAt: Date | null; version: number }>()
  const current = () =>
    [...entries].flatMap(([tenantId, e]) =>
      e.dueAt === null ? [] : [{ tenantId, dueAt: e.dueAt, version: e.version }]
    )
  return OrderDueIndex.of({
    mark: (tenantId, dueAt) =>
      Effect.sync(() => {
        const entry = entries.get(tenantId)
        entries.set(
          tenantId,
          entry === undefined
            ? { dueAt, version: 1 }
            : {
                dueAt: entry.dueAt === null || dueAt < entry.dueAt ? dueAt : entry.dueAt,
                version: entry.version + 1
              }
        )
      }),
    due: (now, limit) =>
      Effect.sync(() =>
        current()
          .filter((e) => e.dueAt <= now)
          .sort(
            (x, y) =>
              x.dueAt.getTime() - y.dueAt.getTime() || (x.tenantId < y.tenantId ? -1 : x.tenantId > y.tenantId ? 1 : 0)
          )
          .slice(0, limit)
      ),
    settle: (tenantId, version, next) =>
      Effect.sync(() => {
        const entry = entries.get(tenantId)
        if (entry === undefined || entry.dueAt === null || entry.version !== version) return false
        entries.set(tenantId, { dueAt: next, version })
        return true
      }),
    find: (tenantId) => Effect.sync(() => current().find((e) => e.tenantId === tenantId) ?? null),
    earliest: () =>
      Effect.sync(() => {
        let first: Date | null = null
        for (const e of current()) if (first === null || e.dueAt < first) first = e.dueAt
        return first
      })
  })
}
