import { Effect } from "effect"
import { AdminKeys, AuditLog } from "../../../application/ports/admin.ts"
import type { AdminKeyRecord, AuditEntry } from "../../../domain/admin.ts"

/** Admin keys in memory: ids ascend from 1, as the table's identity does. */
export const makeMemoryAdminKeys = () => {
  const keys = new Map<number, AdminKeyRecord>()
  let nextId = 1
  return AdminKeys.of({
    insert: (key) =>
      Effect.sync(() => {
        const record: AdminKeyRecord = { ...key, id: nextId++, revokedAt: null, lastUsedAt: null }
        keys.set(record.id, record)
        return record
      }),
    findById: (id) => Effect.sync(() => keys.get(id)),
    list: Effect.sync(() => [...keys.values()].sort((a, b) => a.id - b.id)),
    revoke: (id, at) =>
      Effect.sync(() => {
        const key = keys.get(id)
        if (key === undefined || key.revokedAt !== null) return key
        const revoked = { ...key, revokedAt: at }
        keys.set(id, revoked)
        return revoked
      }),
    touch: (id, at) =>
      Effect.sync(() => {
        const key = keys.get(id)
        if (key !== undefined) keys.set(id, { ...key, lastUsedAt: at })
      })
  })
}

/** The audit log in memory: entries in the order recorded, so their ids ascend with their index. */
export const makeMemoryAuditLog = () => {
  const entries: Array<AuditEntry> = []
  return AuditLog.of({
    record: (entry) =>
      Effect.sync(() => {
        const recorded: AuditEntry = { ...entry, id: entries.length + 1 }
        entries.push(recorded)
        return recorded
      }),
    list: (query) =>
      Effect.sync(() => {
        const matches = (entry: AuditEntry) =>
          (query.tenantId === null || entry.tenantId === query.tenantId) &&
          (query.action === null ||
            (query.action.endsWith(".") ? entry.action.startsWith(query.action) : entry.action === query.action)) &&
          (query.beforeId === null || entry.id < query.beforeId)
        const page: Array<AuditEntry> = []
        const limit = Math.max(0, Math.floor(query.limit))
        for (let i = entries.length - 1; i >= 0 && page.length < limit; i--) {
          if (matches(entries[i]!)) page.push(entries[i]!)
        }
        return page
      })
  })
}
