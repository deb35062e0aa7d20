import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { audit } from "../../application/admin/audit.ts"
import { AuditLog } from "../../application/ports/admin.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { WebhookDeliveries, type WebhookEndpointHealth } from "../../application/ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import { NotFound } from "../../domain/errors.ts"
import { isWebhookEndpointId, type WebhookEndpointRecord } from "../../domain/webhook-endpoint.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { tenantAccess } from "./admin-handlers.ts"
import { Api } from "./api.ts"
import { CurrentAdmin } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"
import { webhookDeliveryView, webhookEndpointView } from "./webhook-endpoints-handlers.ts"

const noHealth: WebhookEndpointHealth = {
  endpointId: "",
  pending: 0,
  oldestPendingAt: null,
  lastSuccessAt: null,
  lastAttemptAt: null,
  lastError: null
}

const adminView = (endpoint: WebhookEndpointRecord, now: Date, health: WebhookEndpointHealth = noHealth) => ({
  ...webhookEndpointView(endpoint, now),
  owners: endpoint.owners,
  health: {
    pending: health.pending,
    oldestPendingAt: health.oldestPendingAt?.toISOString() ?? null,
    lastSuccessAt: health.lastSuccessAt?.toISOString() ?? null,
    lastAttemptAt: health.lastAttemptAt?.toISOString() ?? null,
    lastError: health.lastError
  }
})

const endpointOrNotFound = (endpointId: string) =>
  Effect.gen(function* () {
    const found = isWebhookEndpointId(endpointId) ? yield* (yield* WebhookEndpoints).findById(endpointId) : undefined
    if (found === undefined) return yield* new NotFound({ resource: "webhook endpoint", id: endpointId })
    return found
  })

const healthOf = (endpointId: string) =>
  Effect.map(
    Effect.flatMap(WebhookDeliveries, (d) => d.health()),
    (all) => all.find((h) => h.endpointId === endpointId)
  )

export const AdminWebhooksHandlers = HttpApiBuilder.group(
  Api,
  "adminWebhooks",
  Effect.fn(function* (handlers) {
    const directory = yield* TenantDirectory
    const databases = yield* TenantDatabases
    const auditLog = yield* AuditLog
    const { inTenant } = tenantAccess(directory, databases, auditLog)
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    return handlers
      .handle("adminListWebhookEndpoints", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const at = yield* now
              const health = new Map((yield* (yield* WebhookDeliveries).health()).map((h) => [h.endpointId, h]))
              return {
                data: (yield* (yield* WebhookEndpoints).list()).map((e) => adminView(e, at, health.get(e.id)))
              }
            })
          )
        )
      )
      .handle("adminListWebhookDeliveries", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const endpoint = yield* endpointOrNotFound(params.endpointId)
              const listed = yield* (yield* WebhookDeliveries).list(endpoint.id, { before: null, limit: 50 })
              return { data: listed.map(webhookDeliveryView) }
            })
          )
        )
      )
      .handle("adminDisableWebhookEndpoint", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const endpoints = yield* WebhookEndpoints
              const found = yield* endpointOrNotFound(params.endpointId)
              const at = yield* now
              if (!found.enabled) return adminView(found, at, yield* healthOf(found.id))
              const reason = `disabled by an operator${payload.reason === undefined ? "" : `: ${payload.reason}`}`
              const updated =
                (yield* endpoints.update(found.id, { enabled: false, disabledReason: reason }, at)) ?? found
              yield* audit(yield* CurrentAdmin, {
                action: "webhook-endpoint.disable",
                tenantId: tenant.id,
                target: `endpoint ${found.id}`,
                summary: `disabled webhook endpoint ${found.id} (${found.url}) of ${found.owners.join(", ")}${
                  payload.reason === undefined ? "" : `: ${payload.reason}`
                }`
              })
              return adminView(updated, at, yield* healthOf(found.id))
            })
          )
        )
      )
  })
)
