import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import type { Principal } from "../../application/auth/authenticate.ts"
import { WebhookDeliveries } from "../../application/ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import {
  changeEndpoint,
  ownedEndpoint,
  registerEndpoint,
  removeEndpoint,
  rotateEndpointSecret
} from "../../application/webhook-endpoints/endpoints.ts"
import { NotFound } from "../../domain/errors.ts"
import { parseClientId } from "../../domain/oauth.ts"
import { overlapUntil } from "../../domain/secret-rotation.ts"
import { clientOwner, keyOwner, type WebhookEndpointRecord, type WebhookOwner } from "../../domain/webhook-endpoint.ts"
import { isWebhookDeliveryId, type WebhookDeliveryRecord } from "../../domain/webhook-event.ts"
import { pingEndpoint } from "../partner-webhooks/ping.ts"
import { Api } from "./api.ts"
import { CurrentPrincipal, CurrentTenant } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"

export const webhookEndpointView = (endpoint: WebhookEndpointRecord, now: Date) => ({
  endpointId: endpoint.id,
  url: endpoint.url,
  eventTypes: endpoint.eventTypes,
  description: endpoint.description,
  enabled: endpoint.enabled,
  disabledReason: endpoint.disabledReason,
  previousSecretExpiresAt: overlapUntil(endpoint, now)?.toISOString() ?? null,
  createdAt: endpoint.createdAt.toISOString(),
  updatedAt: endpoint.updatedAt.toISOString()
})

/** The key or OAuth client behind the request, as an endpoint's owner. */
export const ownerOf = (principal: Principal): WebhookOwner =>
  principal.scheme === "apiKey" ? keyOwner(principal.keyId) : clientOwner(parseClientId(principal.clientId) ?? 0)

const now = Effect.map(
  Effect.clockWith((clock) => clock.currentTimeMillis),
  (ms) => new Date(ms)
)

export const webhookDeliveryView = (delivery: WebhookDeliveryRecord) => ({
  deliveryId: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  sequence: delivery.sequence,
  state: delivery.state,
  nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
  createdAt: delivery.createdAt.toISOString(),
  finishedAt: delivery.finishedAt?.toISOString() ?? null,
  attempts: delivery.attempts.map((a) => ({
    attempt: a.attempt,
    startedAt: a.startedAt.toISOString(),
    latencyMs: a.latencyMs,
    statusCode: a.statusCode,
    error: a.error
  }))
})

/** The default overlap of a rotated secret: a day. */
const defaultOverlapSeconds = 86_400

export const WebhookEndpointsHandlers = HttpApiBuilder.group(Api, "webhookEndpoints", (handlers) =>
  handlers
    .handle("create", ({ payload }) =>
      httpErrors(
        Effect.gen(function* () {
          const owner = ownerOf(yield* CurrentPrincipal)
          const endpoint = yield* registerEndpoint(owner, {
            url: payload.url,
            eventTypes: payload.eventTypes ?? [],
            description: payload.description ?? ""
          })
          return { endpoint: webhookEndpointView(endpoint, yield* now), secret: endpoint.secret }
        })
      )
    )
    .handle("list", () =>
      Effect.gen(function* () {
        const owner = ownerOf(yield* CurrentPrincipal)
        const at = yield* now
        return { data: (yield* (yield* WebhookEndpoints).list(owner)).map((e) => webhookEndpointView(e, at)) }
      }).pipe(Effect.orDie)
    )
    .handle("get", ({ params }) =>
      httpErrors(
        Effect.gen(function* () {
          const endpoint = yield* ownedEndpoint(ownerOf(yield* CurrentPrincipal), params.endpointId)
          return webhookEndpointView(endpoint, yield* now)
        })
      )
    )
    .handle("change", ({ params, payload }) =>
      httpErrors(
        Effect.gen(function* () {
          const owner = ownerOf(yield* CurrentPrincipal)
          const endpoint = yield* changeEndpoint(owner, params.endpointId, {
            ...(payload.url === undefined ? {} : { url: payload.url }),
            ...(payload.eventTypes === undefined ? {} : { eventTypes: payload.eventTypes }),
            ...(payload.description === undefined ? {} : { description: payload.description }),
            ...(payload.enabled === undefined ? {} : { enabled: payload.enabled })
          })
          return webhookEndpointView(endpoint, yield* now)
        })
      )
    )
    .handle("remove", ({ params }) =>
      httpErrors(
        Effect.gen(function* () {
          yield* removeEndpoint(ownerOf(yield* CurrentPrincipal), params.endpointId)
        })
      )
    )
    .handle("rotateSecret", ({ params, payload }) =>
      httpErrors(
        Effect.gen(function* () {
          const owner = ownerOf(yield* CurrentPrincipal)
          const endpoint = yield* rotateEndpointSecret(
            owner,
            params.endpointId,
            payload.overlapSeconds ?? defaultOverlapSeconds
          )
          return { endpoint: webhookEndpointView(endpoint, yield* now), secret: endpoint.secret }
        })
      )
    )
    .handle("deliveries", ({ params, query }) =>
      httpErrors(
        Effect.gen(function* () {
          yield* ownedEndpoint(ownerOf(yield* CurrentPrincipal), params.endpointId)
          const limit = query.limit ?? 20
          // One more than the page says whether another follows.
          const found = yield* (yield* WebhookDeliveries).list(params.endpointId, {
            before: query.before ?? null,
            limit: limit + 1
          })
          const page = found.slice(0, limit)
          return {
            data: page.map(webhookDeliveryView),
            nextBefore: found.length > limit ? (page.at(-1)?.sequence ?? null) : null
          }
        })
      )
    )
    .handle("redeliver", ({ params }) =>
      httpErrors(
        Effect.gen(function* () {
          yield* ownedEndpoint(ownerOf(yield* CurrentPrincipal), params.endpointId)
          const delivery = isWebhookDeliveryId(params.deliveryId)
            ? yield* (yield* WebhookDeliveries).redeliver(params.endpointId, params.deliveryId, yield* now)
            : undefined
          if (delivery === undefined) {
            return yield* new NotFound({ resource: "webhook delivery", id: params.deliveryId })
          }
          return webhookDeliveryView(delivery)
        })
      )
    )
    .handle("test", ({ params }) =>
      httpErrors(
        Effect.gen(function* () {
          const endpoint = yield* ownedEndpoint(ownerOf(yield* CurrentPrincipal), params.endpointId)
          const tenant = yield* CurrentTenant
          return yield* pingEndpoint(tenant.id, endpoint)
        })
      )
    )
)
