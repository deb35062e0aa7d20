import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { audit } from "../../application/admin/audit.ts"
import { AuditLog } from "../../application/ports/admin.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import { NotFound } from "../../domain/errors.ts"
import { isWebhookEndpointId, type WebhookEndpointRecord } from "../../domain/webhook-endpoint.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { tenantAccess } from "./admin-handlers.ts"
import { Api } from "./api.ts"
import { CurrentAdmin } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"
import { webhookEndpointView } from "./webhook-endpoints-handlers.ts"

const adminView = (endpoint: WebhookEndpointRecord, now: Date) => ({
  ...webhookEndpointView(endpoint, now),
  owners: endpoint.owners
})

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
              return { data: (yield* (yield* WebhookEndpoints).list()).map((e) => adminView(e, at)) }
            })
          )
        )
      )
      .handle("adminDisableWebhookEndpoint", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const endpoints = yield* WebhookEndpoints
              const found = isWebhookEndpointId(params.endpointId)
                ? yield* endpoints.findById(params.endpointId)
                : undefined
              if (found === undefined) {
                return yield* new NotFound({ resource: "webhook endpoint", id: params.endpointId })
              }
              const at = yield* now
              if (!found.enabled) return adminView(found, at)
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
              return adminView(updated, at)
            })
          )
        )
      )
  })
)
