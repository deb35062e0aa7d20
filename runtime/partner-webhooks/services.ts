import { Context, Effect, Layer } from "effect"
import { WebhookDestinations } from "../../application/webhook-endpoints/endpoints.ts"
import { AppConfig } from "../config.ts"
import { type Resolver, resolveDestination, systemResolver } from "./destination.ts"

/** How webhook hosts are resolved: the system's resolver; tests give their own (private, rebinding answers). */
export const WebhookResolver = Context.Reference<Resolver>("pos/runtime/partner-webhooks/WebhookResolver", {
  defaultValue: () => systemResolver
})

/**
 * The destination policy partners' URLs are held to when registered or changed: https to public
 * addresses (resolved now; every delivery resolves and checks again), loopback over http only with
 * WEBHOOK_ALLOW_LOOPBACK. The problem is worded to follow `body.url: `.
 */
export const WebhookDestinationsLive = Layer.effect(
  WebhookDestinations,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const resolver = yield* WebhookResolver
    return WebhookDestinations.of({
      problem: (url) =>
        resolveDestination(url, { resolver, allowLoopback: config.webhookAllowLoopback }).pipe(
          Effect.as(undefined),
          Effect.catchTags({
            DestinationRefused: (refused) => Effect.succeed(refused.reason),
            DestinationUnresolved: (unresolved) =>
              Effect.succeed(`${unresolved.host} does not resolve (${unresolved.reason})`)
          })
        )
    })
  })
)
