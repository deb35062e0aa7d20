import { randomUUID } from "node:crypto"
import { Clock, Effect } from "effect"
import { signingSecrets } from "../../application/webhook-endpoints/endpoints.ts"
import type { WebhookEndpointRecord } from "../../domain/webhook-endpoint.ts"
import { AppConfig } from "../config.ts"
import { sendWebhook } from "./sender.ts"
import { WebhookResolver } from "./services.ts"
import { signatureHeaders } from "./signing.ts"

/**
 * A `ping` to an endpoint, sent now and once (no retry), signed like every delivery: how a partner
 * checks its receiver and its signature verification before real events arrive.
 */
export const pingEndpoint = Effect.fnUntraced(function* (tenantId: string, endpoint: WebhookEndpointRecord) {
  const config = yield* AppConfig
  const resolver = yield* WebhookResolver
  const now = new Date(yield* Clock.currentTimeMillis)
  const webhookId = `msg_${randomUUID().replaceAll("-", "")}`
  const body = JSON.stringify({
    id: webhookId,
    type: "ping",
    tenantId,
    timestamp: now.toISOString(),
    data: { endpointId: endpoint.id }
  })
  const outcome = yield* sendWebhook({
    url: endpoint.url,
    headers: { ...signatureHeaders({ id: webhookId, timestamp: now, body, secrets: signingSecrets(endpoint, now) }) },
    body,
    resolver,
    allowLoopback: config.webhookAllowLoopback
  })
  return {
    delivered: outcome.status !== null && outcome.status >= 200 && outcome.status < 300,
    webhookId,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    error:
      outcome.error ??
      (outcome.status !== null && (outcome.status < 200 || outcome.status >= 300) ? `answered ${outcome.status}` : null)
  }
})
