import { Duration, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { layerKeySecrets } from "../adapters/crypto/key-secrets.ts"
import { AppConfig, type AppSettings } from "./config.ts"
import { loggingLayer } from "./logging.ts"
import { LoyaltyGateway } from "./loyalty/loyalty-gateway.ts"
import { OAuthTokens } from "./oauth/token-service.ts"
import { tracingLayer } from "./observability/tracing.ts"
import { OrderDispatch } from "./orders/order-dispatch.ts"
import { WebhookDestinationsLive } from "./partner-webhooks/services.ts"
import { WebhookDispatch } from "./partner-webhooks/webhook-dispatch.ts"
import { PluginRegistry } from "./plugins/plugin-registry.ts"
import { PullJobs } from "./pull/job-runner.ts"
import { RateLimiter } from "./rate-limits/rate-limiter.ts"
import { TenantDatabases } from "./tenancy/tenant-databases.ts"

/**
 * The services the HTTP routes and the CLI need on top of a storage adapter: configuration, key
 * hashing, the per-tenant database map, the runner of the tenants' job queues (pulls) and the order
 * dispatcher, and the access tokens' signer. `background: false` (the admin CLI) leaves out the
 * dispatcher's and the signing keys' own loops: a command never claims an order delivery it could
 * leave half done when it exits.
 */
export const appServices = (settings: AppSettings, options: { readonly background?: boolean } = {}) =>
  Layer.mergeAll(
    PullJobs.layer,
    OrderDispatch.layerWith({ background: options.background ?? true }),
    OAuthTokens.layerWith({ background: options.background ?? true })
  ).pipe(
    // Orders and pulls record partner webhook events: both kick its dispatcher.
    Layer.provideMerge(WebhookDispatch.layerWith({ background: options.background ?? true })),
    Layer.provideMerge(
      Layer.mergeAll(
        TenantDatabases.layer({
          idleTimeToLive: Duration.millis(settings.tenantIdleTtlMs),
          cacheTtl: Duration.millis(settings.keyCacheTtlMs)
        }),
        layerKeySecrets(Redacted.value(settings.apiKeyPepper)),
        PluginRegistry.layer(settings.posPlugins),
        WebhookDestinationsLive,
        RateLimiter.layer,
        // Outbound calls to POS systems (sync callbacks, later orders) and the loyalty-service.
        LoyaltyGateway.layer.pipe(Layer.provideMerge(FetchHttpClient.layer))
      )
    ),
    Layer.provideMerge(Layer.succeed(AppConfig, settings)),
    // Traces over OTLP when configured: every service above (and the server they are given to) traces into it.
    Layer.provideMerge(tracingLayer(settings.tracing)),
    Layer.provideMerge(loggingLayer(settings))
  )

export type { StorageServices } from "../application/ports/storage-services.ts"
