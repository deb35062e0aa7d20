import { createHash, randomUUID } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import type { WebhookRequest } from "../../application/pos-sdk/plugin.ts"
import { queryOf } from "../../application/pos-sdk/webhook-request.ts"
import { receiveWebhook } from "../../application/webhooks/receive-webhook.ts"
import { NotFound } from "../../domain/errors.ts"
import { AppConfig } from "../config.ts"
import { webhookCredentials } from "../plugins/call-context.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { PullJobs } from "../pull/job-runner.ts"
import { Api } from "./api.ts"
import { CurrentTenant } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"
import { forwardedValue, trusts } from "./middleware.ts"

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`

/**
 * The request as the vendor sent it: the URL it called (scheme and host as it saw them, behind a
 * trusted proxy too, with BASE_PATH, which the pipeline strips before routing), headers, raw body.
 */
const vendorRequest = (body: Uint8Array) =>
  Effect.gen(function* () {
    const config = yield* AppConfig
    const request = yield* HttpServerRequest.HttpServerRequest
    const proxied = trusts(config.trustProxy, Option.getOrUndefined(request.remoteAddress))
    const host = (proxied ? forwardedValue(request.headers["x-forwarded-host"]) : undefined) ?? request.headers.host
    const scheme = (proxied ? forwardedValue(request.headers["x-forwarded-proto"]) : undefined) ?? "http"
    const url = new URL(`${scheme}://${host ?? "localhost"}${config.basePath}${request.url}`)
    return {
      method: request.method,
      url: url.href,
      path: url.pathname,
      query: queryOf(url),
      headers: { ...request.headers },
      body
    } satisfies WebhookRequest
  })

export const WebhooksHandlers = HttpApiBuilder.group(
  Api,
  "webhooks",
  Effect.fn(function* (handlers) {
    const registry = yield* PluginRegistry
    const config = yield* AppConfig
    const jobs = yield* PullJobs
    return handlers.handle("receive", ({ params, payload }) =>
      httpErrors(
        Effect.gen(function* () {
          const loaded = registry.get(params.provider)
          if (loaded === undefined) return yield* new NotFound({ resource: "POS provider", id: params.provider })
          const outcome = yield* receiveWebhook({
            plugin: loaded.plugin,
            request: yield* vendorRequest(payload),
            dedupeKey: createHash("sha256").update(payload).digest("hex"),
            retainMs: config.webhookRetentionDays * 86_400_000,
            receivedAt: new Date(yield* Clock.currentTimeMillis),
            loadCredentials: (subject) => webhookCredentials(loaded, subject),
            newId
          })
          // The pulls a menu change queued run after this answer, from the tenant's durable queue.
          if (outcome.pulls > 0) yield* jobs.kick((yield* CurrentTenant).id)
          return {
            received: true as const,
            provider: outcome.provider,
            delivery: outcome.delivery,
            events: outcome.events,
            ignored: outcome.ignored.length,
            pulls: outcome.pulls
          }
        })
      )
    )
  })
)
