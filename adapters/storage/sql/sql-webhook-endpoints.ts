import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { WebhookEndpoints } from "../../../application/ports/webhook-endpoints.ts"
import { StorageError } from "../../../domain/errors.ts"
import type { WebhookEndpointRecord, WebhookEventType, WebhookOwner } from "../../../domain/webhook-endpoint.ts"
import { type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { inTransaction, storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface WebhookEndpointRow {
  readonly id: string
  /** Parsed into an array by the driver (sql-pg and PGlite both do). */
  readonly owners: ReadonlyArray<string>
  readonly url: string
  readonly event_types: string
  readonly description: string
  readonly enabled: boolean
  readonly disabled_reason: string | null
  readonly secret: string
  readonly previous_secret: string | null
  readonly previous_secret_expires_at: unknown
  readonly created_at: unknown
  readonly updated_at: unknown
}

type Column = "secret" | "previous_secret"

/** The record of a row whose secrets are already opened (or known, having just been sealed). */
const fromRow = (row: WebhookEndpointRow, secret: string, previousSecret: string | null): WebhookEndpointRecord => ({
  id: row.id,
  owners: [...row.owners] as Array<WebhookOwner>,
  url: row.url,
  eventTypes: row.event_types === "" ? [] : (row.event_types.split(" ") as Array<WebhookEventType>),
  description: row.description,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  secret,
  previousSecret,
  previousSecretExpiresAt: toDateOrNull(row.previous_secret_expires_at),
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at)
})

/**
 * A tenant's partner webhook endpoints on the tenant's SqlClient. Each secret is sealed with
 * `sealer` under a purpose naming the tenant, the endpoint and the column, so a sealed value
 * copied into another row or column does not open.
 *
 * An endpoint whose secret (or previous secret) does not open here, sealed under a key this
 * instance lacks or altered, is not answered with a secret it would sign wrongly with: reading it
 * fails with a StorageError naming the endpoint and the sealer's reason, and a list that meets it
 * fails as a whole. Removing it needs no secret, so an operator can still delete it.
 */
export const layerSqlWebhookEndpoints = (sealer: CredentialSealer, tenantId: string) =>
  Layer.effect(
    WebhookEndpoints,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const purpose = (id: string, column: Column) => purposes.webhookSecret(tenantId, id, column)
      const seal = (id: string, column: Column, secret: string) =>
        sealer
          .seal(secret, purpose(id, column))
          .pipe(
            Effect.mapError(
              (error) =>
                new StorageError({ operation: `seal the secret of webhook endpoint '${id}'`, cause: error.message })
            )
          )
      const open = (id: string, column: Column, stored: string) =>
        sealer
          .open(stored, purpose(id, column))
          .pipe(
            Effect.mapError(
              (error) =>
                new StorageError({ operation: `open the secrets of webhook endpoint '${id}'`, cause: error.message })
            )
          )
      const toEndpoint = (row: WebhookEndpointRow) =>
        Effect.gen(function* () {
          const secret = yield* open(row.id, "secret", row.secret)
          const previous =
            row.previous_secret === null ? null : yield* open(row.id, "previous_secret", row.previous_secret)
          return fromRow(row, secret, previous)
        })
      const firstEndpoint = (rows: ReadonlyArray<WebhookEndpointRow>) =>
        rows[0] === undefined ? Effect.succeed(undefined) : toEndpoint(rows[0])

      // The previous secret is sealed for its own column, so the row's sealed secret cannot simply
      // move there: the current one is opened and sealed again. The update applies only if the
      // secret is still the one read (every seal differs, by its random iv), so a rotation that
      // came between is never overwritten: this one reads again and rotates from it.
      const rotate = (
        id: string,
        secret: string,
        previousExpiresAt: Date,
        at: Date
      ): Effect.Effect<WebhookEndpointRecord | undefined, StorageError> =>
        Effect.gen(function* () {
          const rows = yield* sql<{ readonly secret: string }>`
            SELECT secret FROM webhook_endpoints WHERE id = ${id}`.pipe(storageFailure("find webhook endpoint"))
          const stored = rows[0]?.secret
          if (stored === undefined) return undefined
          const current = yield* open(id, "secret", stored)
          const sealed = yield* seal(id, "secret", secret)
          const sealedPrevious = yield* seal(id, "previous_secret", current)
          const updated = yield* sql<WebhookEndpointRow>`
            UPDATE webhook_endpoints
            SET secret = ${sealed}, previous_secret = ${sealedPrevious},
                previous_secret_expires_at = ${previousExpiresAt}, updated_at = ${at}
            WHERE id = ${id} AND secret = ${stored}
            RETURNING *`.pipe(storageFailure("rotate webhook endpoint secret"))
          if (updated[0] === undefined) return yield* rotate(id, secret, previousExpiresAt, at)
          return fromRow(updated[0], secret, current)
        })

      return WebhookEndpoints.of({
        insert: (endpoint) =>
          Effect.gen(function* () {
            const sealed = yield* seal(endpoint.id, "secret", endpoint.secret)
            const rows = yield* sql<WebhookEndpointRow>`
              INSERT INTO webhook_endpoints
                (id, owners, url, event_types, description, enabled, secret, created_at, updated_at)
              VALUES (${endpoint.id}, ${[...endpoint.owners]}::text[], ${endpoint.url}, ${endpoint.eventTypes.join(" ")},
                      ${endpoint.description}, true, ${sealed}, ${endpoint.createdAt}, ${endpoint.createdAt})
              RETURNING *`.pipe(storageFailure("insert webhook endpoint"))
            return fromRow(rows[0]!, endpoint.secret, null)
          }),
        findById: (id) =>
          sql<WebhookEndpointRow>`SELECT * FROM webhook_endpoints WHERE id = ${id}`.pipe(
            storageFailure("find webhook endpoint"),
            Effect.flatMap(firstEndpoint)
          ),
        // `@>` rather than `= ANY(owners)`: the same rows, and the GIN index on owners serves it.
        list: (owner) =>
          (owner === undefined
            ? sql<WebhookEndpointRow>`SELECT * FROM webhook_endpoints ORDER BY created_at, id`
            : sql<WebhookEndpointRow>`
                SELECT * FROM webhook_endpoints WHERE owners @> ARRAY[${owner}::text]
                ORDER BY created_at, id`
          ).pipe(
            storageFailure("list webhook endpoints"),
            Effect.flatMap((rows) => Effect.forEach(rows, toEndpoint))
          ),
        // In one transaction with the reading of the secrets: an endpoint that cannot be answered
        // is not changed either, so a failed update changed nothing.
        update: (id, change, at) => {
          const sets = [
            ...(change.url === undefined ? [] : [sql`url = ${change.url}`]),
            ...(change.eventTypes === undefined ? [] : [sql`event_types = ${change.eventTypes.join(" ")}`]),
            ...(change.description === undefined ? [] : [sql`description = ${change.description}`]),
            ...(change.enabled === undefined ? [] : [sql`enabled = ${change.enabled}`]),
            ...(change.disabledReason === undefined ? [] : [sql`disabled_reason = ${change.disabledReason}`]),
            sql`updated_at = ${at}`
          ]
          return inTransaction(
            sql,
            "update webhook endpoint"
          )(
            sql<WebhookEndpointRow>`UPDATE webhook_endpoints SET ${sql.csv(sets)} WHERE id = ${id} RETURNING *`.pipe(
              storageFailure("update webhook endpoint"),
              Effect.flatMap(firstEndpoint)
            )
          )
        },
        rotateSecret: rotate,
        remove: (id) =>
          sql`DELETE FROM webhook_endpoints WHERE id = ${id} RETURNING id`.pipe(
            Effect.map((rows) => rows.length > 0),
            storageFailure("remove webhook endpoint")
          ),
        addOwner: (existing, added) =>
          sql`
            UPDATE webhook_endpoints SET owners = array_append(owners, ${added}::text)
            WHERE owners @> ARRAY[${existing}::text] AND NOT owners @> ARRAY[${added}::text]
            RETURNING id`.pipe(
            Effect.map((rows) => rows.length),
            storageFailure("add a webhook endpoint owner")
          )
      })
    })
  )
