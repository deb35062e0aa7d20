import { type PosCallContext, PosUnavailable, type SyncOutcome } from "@pos-integration/sdk"
import { Duration, Effect } from "effect"
import { HttpClientRequest } from "effect/http"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"

/** Deliverect gives a menu publish 30 minutes; one answer to it should not hang a sync worker. */
const timeout = Duration.seconds(15)

/**
 * Answers the asynchronous menu push: POST {"status": "ONLINE"|"FAILED", "comment"} to the callback
 * URL it came with (Channel API "Menu Update Callback (Async)"). Anything but a 2xx is unavailable,
 * so the core retries.
 *
 * The callback needs no credentials: it is a URL Deliverect made for this one publish, and it is
 * called without an OAuth token, so the context's credentials are not read (a callback for an
 * outlet whose credentials are not set yet is still answered). Only its HTTP client is used.
 */
export const acknowledgeCatalog = (
  callback: { readonly url: string },
  outcome: SyncOutcome,
  context: PosCallContext<OutletCredentials, AccountCredentials>
): Effect.Effect<void, PosUnavailable> =>
  Effect.gen(function* () {
    const request = HttpClientRequest.post(callback.url).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyJsonUnsafe({ status: outcome.status, comment: outcome.comment })
    )
    const response = yield* context.http.execute(request).pipe(
      Effect.timeout(timeout),
      Effect.mapError((error) => new PosUnavailable({ reason: `menu status callback failed: ${error.message}` }))
    )
    if (response.status < 200 || response.status > 299) {
      return yield* new PosUnavailable({ reason: `menu status callback answered HTTP ${response.status}` })
    }
  }).pipe(
    // Whatever goes wrong on the way, the outcome is unknown: the core retries.
    Effect.catchDefect(() => Effect.fail(new PosUnavailable({ reason: "menu status callback failed unexpectedly" })))
  )
