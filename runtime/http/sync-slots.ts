import { Effect, Option, Semaphore } from "effect"
import { HttpServerResponse } from "effect/http"
import { envelopeJson } from "./errors.ts"

/**
 * Turns for catalog pushes. A push is tens of MB of JSON: its bytes, their text, the parsed value
 * and the decoded snapshot are all held while it is applied, so five pushes read at once held five
 * times that (measured: 9 MB pushes took the embedded default from 450 MB to 850 MB). A push waits
 * for a turn before its body is read, its bytes left in the socket, and at most `concurrency` are
 * read and applied at once. The storage applies one at a time on the embedded default anyway (one
 * session), so waiting for a turn costs no throughput there.
 *
 * A push that waits longer than `waitMs` is answered 503 with Retry-After: the POS retries it later,
 * as it retries any 503.
 */
export interface SyncSlots {
  readonly admit: <A, E, R>(
    push: Effect.Effect<A, E, R>
  ) => Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R>
}

/** Retry-After of a push that found no turn: about how long one large push takes to apply. */
const retryAfterSeconds = 5

export const makeSyncSlots = (options: { readonly concurrency: number; readonly waitMs: number }): SyncSlots => {
  const semaphore = Semaphore.makeUnsafe(options.concurrency)
  const busy = Effect.sync(() =>
    HttpServerResponse.text(
      envelopeJson(
        503,
        "temporarily unavailable",
        `other catalog pushes are being applied and this one waited ${options.waitMs} ms for its turn; retry after ${retryAfterSeconds} s`
      ),
      { status: 503, contentType: "application/json", headers: { "retry-after": String(retryAfterSeconds) } }
    )
  )
  const admit = <A, E, R>(
    push: Effect.Effect<A, E, R>
  ): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        restore(Effect.timeoutOption(Semaphore.take(semaphore, 1), options.waitMs)),
        (taken): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R> =>
          Option.isNone(taken) ? busy : Effect.ensuring(restore(push), Semaphore.release(semaphore, 1))
      )
    )
  return { admit }
}
