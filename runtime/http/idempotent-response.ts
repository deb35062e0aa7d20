import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { withRefCode } from "../../application/idempotency/ref-code.ts"
import type { Idempotency, StoredOutcome } from "../../application/ports/idempotency.ts"
import { canonicalJson } from "../../domain/canonical-json.ts"
import type { RefCodeConflict, RequestInProgress, StorageError } from "../../domain/errors.ts"
import { type DomainError, httpErrors, statusOf, toHttpError } from "./error-mapping.ts"
import { envelopeJson } from "./errors.ts"

export interface RefCodeOptions {
  /** Scopes the refCode: the same refCode may be used once per operation. */
  readonly operation: string
  readonly refCode: string | undefined
  /** The decoded request: its canonical JSON is the fingerprint. */
  readonly request: unknown
  readonly staleAfterMs: number
  readonly retainMs: number
}

/**
 * Final answers are stored for replay: a success, and a 4xx reached after the claim (a rejection
 * passed through from upstream, insufficient points, an unknown reward, the upstream's refCode
 * conflict). Not stored, so a retry runs again: the upstream's own "request in progress" (the
 * outcome is still unknown), our own 409s, a 5xx and an unknown upstream outcome (502, 503, 504).
 */
const isFinal = (error: DomainError | StorageError): error is DomainError =>
  (error._tag === "Rejected" && !(error.status === 409 && error.message === "request in progress")) ||
  error._tag === "InsufficientPoints" ||
  error._tag === "NotFound"

export const fingerprintOf = (request: unknown): string =>
  createHash("sha256").update(canonicalJson(request)).digest("hex")

const jsonResponse = (outcome: StoredOutcome) =>
  HttpServerResponse.text(outcome.body, { status: outcome.status, contentType: "application/json" })

/**
 * Runs a mutating request under SPEC section 6's refCode rules and answers its JSON itself, so a
 * replay is the first answer byte for byte (status and body). Without a refCode (optional for some
 * operations) the request simply runs.
 */
export const idempotentResponse = <A, I, E extends DomainError, R>(
  options: RefCodeOptions,
  schema: Schema.Codec<A, I>,
  effect: Effect.Effect<{ readonly status: number; readonly value: A }, E | StorageError, R>
) => {
  const encode = Schema.encodeSync(schema)
  const outcome = effect.pipe(
    Effect.map(({ status, value }): StoredOutcome => ({ status, body: JSON.stringify(encode(value)) })),
    Effect.catch((error) => {
      if (!isFinal(error)) return Effect.fail(error)
      const http = toHttpError(error)
      return Effect.succeed<StoredOutcome>({
        status: statusOf(error),
        body: envelopeJson(statusOf(error), http.message, http.details)
      })
    })
  )
  const run =
    options.refCode === undefined
      ? outcome
      : withRefCode(
          {
            operation: options.operation,
            refCode: options.refCode,
            fingerprint: fingerprintOf(options.request),
            staleAfterMs: options.staleAfterMs,
            retainMs: options.retainMs
          },
          outcome
        )
  return httpErrors<HttpServerResponse.HttpServerResponse, E | RefCodeConflict | RequestInProgress, R | Idempotency>(
    Effect.map(run, jsonResponse) as Effect.Effect<
      HttpServerResponse.HttpServerResponse,
      E | RefCodeConflict | RequestInProgress | StorageError,
      R | Idempotency
    >
  )
}
