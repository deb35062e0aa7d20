import { Effect } from "effect"
import { WebhookEndpoints } from "../../../application/ports/webhook-endpoints.ts"
import { StorageError } from "../../../domain/errors.ts"
import type { WebhookEndpointRecord } from "../../../domain/webhook-endpoint.ts"

/** One tenant's webhook endpoints in memory: what its `webhook_endpoints` table would hold. */
export interface WebhookEndpointTable {
  readonly endpoints: Map<string, WebhookEndpointRecord>
}

export const makeWebhookEndpointTable = (): WebhookEndpointTable => ({ endpoints: new Map() })

// Dates and arrays are mutable: the store keeps copies of the ones it is given and hands out
// copies of its own, so a caller changing one changes neither the store nor another caller's record.
const copyDate = (date: Date) => new Date(date.getTime())

const copyEndpoint = (endpoint: WebhookEndpointRecord): WebhookEndpointRecord => ({
  ...endpoint,
  owners: [...endpoint.owners],
  eventTypes: [...endpoint.eventTypes],
  previousSecretExpiresAt:
    endpoint.previousSecretExpiresAt === null ? null : copyDate(endpoint.previousSecretExpiresAt),
  createdAt: copyDate(endpoint.createdAt),
  updatedAt: copyDate(endpoint.updatedAt)
})

// By creation, then id compared as the table's `COLLATE "C"` does (ids are ASCII).
const byCreationThenId = (a: WebhookEndpointRecord, b: WebhookEndpointRecord) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * A tenant's webhook endpoints in memory. Secrets are kept as given: nothing here outlives the
 * process, so there is nothing at rest to seal, and every secret opens.
 */
export const makeMemoryWebhookEndpoints = (table: WebhookEndpointTable) => {
  const change = (id: string, f: (endpoint: WebhookEndpointRecord) => WebhookEndpointRecord) => {
    const endpoint = table.endpoints.get(id)
    if (endpoint === undefined) return undefined
    const changed = copyEndpoint(f(endpoint))
    table.endpoints.set(id, changed)
    return copyEndpoint(changed)
  }
  return WebhookEndpoints.of({
    // The id is the table's primary key: a second endpoint under one fails, as the insert would.
    insert: (endpoint) =>
      Effect.suspend(() => {
        if (table.endpoints.has(endpoint.id)) {
          return Effect.fail(
            new StorageError({
              operation: "insert webhook endpoint",
              cause: `a webhook endpoint '${endpoint.id}' exists already`
            })
          )
        }
        const record = copyEndpoint({
          ...endpoint,
          enabled: true,
          disabledReason: null,
          previousSecret: null,
          previousSecretExpiresAt: null,
          updatedAt: endpoint.createdAt
        })
        table.endpoints.set(record.id, record)
        return Effect.succeed(copyEndpoint(record))
      }),
    findById: (id) =>
      Effect.sync(() => {
        const endpoint = table.endpoints.get(id)
        return endpoint === undefined ? undefined : copyEndpoint(endpoint)
      }),
    list: (owner) =>
      Effect.sync(() =>
        [...table.endpoints.values()]
          .filter((endpoint) => owner === undefined || endpoint.owners.includes(owner))
          .sort(byCreationThenId)
          .map(copyEndpoint)
      ),
    update: (id, fields, at) =>
      Effect.sync(() =>
        change(id, (current) => ({
          ...current,
          ...(fields.url === undefined ? {} : { url: fields.url }),
          ...(fields.eventTypes === undefined ? {} : { eventTypes: fields.eventTypes }),
          ...(fields.description === undefined ? {} : { description: fields.description }),
          ...(fields.enabled === undefined ? {} : { enabled: fields.enabled }),
          ...(fields.disabledReason === undefined ? {} : { disabledReason: fields.disabledReason }),
          updatedAt: at
        }))
      ),
    rotateSecret: (id, secret, previousExpiresAt, at) =>
      Effect.sync(() =>
        change(id, (current) => ({
          ...current,
          secret,
          previousSecret: current.secret,
          previousSecretExpiresAt: previousExpiresAt,
          updatedAt: at
        }))
      ),
    remove: (id) => Effect.sync(() => table.endpoints.delete(id)),
    addOwner: (existing, added) =>
      Effect.sync(() => {
        let count = 0
        for (const endpoint of table.endpoints.values()) {
          if (endpoint.owners.includes(existing) && !endpoint.owners.includes(added)) {
            change(endpoint.id, (current) => ({ ...current, owners: [...current.owners, added] }))
            count++
          }
        }
        return count
      })
  })
}
