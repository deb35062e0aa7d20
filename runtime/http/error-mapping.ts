import { Effect } from "effect"
import type {
  AlreadyExists,
  DraftExists,
  InsufficientPoints,
  InvalidApiKey,
  InvalidInput,
  InvalidPayload,
  MissingScope,
  NotConfigured,
  NotFound,
  OrderConflict,
  PreconditionRequired,
  RefCodeConflict,
  Rejected,
  RequestInProgress,
  StaleVersion,
  StorageError,
  SyncInProgress,
  TooManyDeactivations,
  UnknownProvider,
  UpstreamFailure,
  UpstreamTimeout,
  UpstreamUnavailable,
  WebhookNotVerified
} from "../../domain/errors.ts"
import { redactUrls } from "../failures.ts"
import { RequestInfo } from "./context.ts"
import {
  BadGateway,
  BadRequest,
  Conflict,
  Forbidden,
  GatewayTimeout,
  httpStatus,
  invalidApiKey,
  NotFoundError,
  PreconditionRequiredError,
  ServiceUnavailable,
  Unauthorized
} from "./errors.ts"
import { showValue } from "./validation-details.ts"

export type DomainError =
  | InvalidApiKey
  | MissingScope
  | NotFound
  | InvalidInput
  | AlreadyExists
  | InvalidPayload
  | UnknownProvider
  | SyncInProgress
  | TooManyDeactivations
  | RefCodeConflict
  | RequestInProgress
  | InsufficientPoints
  | NotConfigured
  | Rejected
  | UpstreamFailure
  | UpstreamTimeout
  | UpstreamUnavailable
  | WebhookNotVerified
  | PreconditionRequired
  | StaleVersion
  | DraftExists
  | OrderConflict

export type HttpError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFoundError
  | Conflict
  | PreconditionRequiredError
  | BadGateway
  | ServiceUnavailable
  | GatewayTimeout

/** Which HTTP error each domain error becomes, so a handler declares only the statuses it can answer. */
interface HttpErrorByTag {
  readonly InvalidApiKey: Unauthorized
  readonly MissingScope: Forbidden
  readonly NotFound: NotFoundError
  readonly InvalidInput: BadRequest
  readonly InvalidPayload: BadRequest
  readonly UnknownProvider: BadRequest
  readonly AlreadyExists: Conflict
  readonly SyncInProgress: Conflict
  readonly TooManyDeactivations: Conflict
  readonly RefCodeConflict: Conflict
  readonly RequestInProgress: Conflict
  readonly InsufficientPoints: Conflict
  readonly NotConfigured: ServiceUnavailable
  readonly UpstreamUnavailable: ServiceUnavailable
  readonly UpstreamTimeout: GatewayTimeout
  readonly UpstreamFailure: BadGateway
  readonly Rejected: BadRequest | NotFoundError | Conflict
  readonly WebhookNotVerified: Unauthorized
  readonly PreconditionRequired: PreconditionRequiredError
  readonly StaleVersion: Conflict
  readonly DraftExists: Conflict
  readonly OrderConflict: Conflict
}
export type HttpErrorOf<E extends DomainError> = HttpErrorByTag[E["_tag"]]

export const forbidden = (error: MissingScope) =>
  new Forbidden({ message: "forbidden", details: `this API key lacks the scope '${error.scope}'` })

/** What the admin API finds across tenants: not "in this tenant". */
const serviceWide: ReadonlySet<string> = new Set(["tenant", "admin key"])

/** The one place where a domain error becomes an HTTP status and its envelope. */
export const toHttpError = (error: DomainError): HttpError => {
  switch (error._tag) {
    case "InvalidApiKey":
      return invalidApiKey()
    case "MissingScope":
      return forbidden(error)
    case "NotFound":
      return new NotFoundError({
        message: `${error.resource} not found`,
        details: `no ${error.resource} with id '${error.id}'${serviceWide.has(error.resource) ? "" : " in this tenant"}`
      })
    case "InvalidInput":
      return new BadRequest({ message: "invalid request", details: error.details })
    case "AlreadyExists":
      return new Conflict({ message: "conflict", details: `${error.resource} '${error.id}' already exists` })
    case "InvalidPayload":
      return new BadRequest({
        message: "invalid request",
        details: [
          `body: is not a valid ${error.provider} payload`,
          ...error.issues.map(
            (i) =>
              `${i.path === "(root)" ? "body" : i.path.startsWith("[") ? `body${i.path}` : `body.${i.path}`}: ${i.message}`
          )
        ].join("; ")
      })
    case "UnknownProvider":
      return new BadRequest({
        message: "invalid request",
        details: `header.x-provider: ${error.provider === null ? "is required" : "names no loaded POS plugin"} (loaded providers: ${error.loaded.join(", ") || "none"})${error.provider === null ? "" : `, got ${showValue(error.provider)}`}`
      })
    case "SyncInProgress":
      return new Conflict({
        message: "sync in progress",
        details: `another sync of outlet '${error.outletId}' is still running; retry later`
      })
    case "TooManyDeactivations":
      return new Conflict({
        message: "too many deactivations",
        details: `this sync would deactivate ${error.deactivating} of the outlet's ${error.active} active products (more than ${error.limitPercent}%); resend with force=true if that is intended`
      })
    case "RefCodeConflict":
      return new Conflict({
        message: "refcode conflict",
        details: `refCode '${error.refCode}' was already used with a different request`
      })
    case "RequestInProgress":
      return new Conflict({
        message: "request in progress",
        details: `a request with refCode '${error.refCode}' is still being processed; retry later`
      })
    case "InsufficientPoints":
      return new Conflict({
        message: "insufficient points",
        details: `the member has ${error.balance} points; this redeem needs ${error.required}`
      })
    case "NotConfigured":
      return new ServiceUnavailable({
        message: "not configured",
        details: `this tenant has no ${error.what} configured`
      })
    case "UpstreamUnavailable":
      return new ServiceUnavailable({
        message: "temporarily unavailable",
        details: `the ${error.upstream} is failing; retry after ${error.retryAfterSeconds} s`
      })
    case "UpstreamTimeout":
      return new GatewayTimeout({
        message: "upstream timeout",
        details: `the ${error.upstream} did not answer in time`
      })
    case "UpstreamFailure":
      return new BadGateway({ message: "upstream error", details: `the ${error.upstream} answered with an error` })
    case "WebhookNotVerified":
      return new Unauthorized({
        message: "webhook not verified",
        details: `the ${error.provider} webhook could not be verified: ${error.reason}; nothing was applied`
      })
    case "PreconditionRequired":
      return new PreconditionRequiredError({
        message: "precondition required",
        details: `a write to ${error.resource} '${error.id}' needs If-Match with its current ETag (a GET of it answers the ETag)`
      })
    case "StaleVersion":
      return new Conflict({
        message: "stale version",
        details: `${error.resource} '${error.id}' is at version ${error.current}, If-Match named version ${error.given}: read it again and reapply the change`
      })
    case "DraftExists":
      return new Conflict({
        message: "conflict",
        details: `menu '${error.menuId}' already has a draft, '${error.draftId}': edit that one, or delete it first`
      })
    case "OrderConflict":
      return new Conflict({ message: error.message, details: error.details })
    case "Rejected": {
      const fields = { message: error.message, details: error.details }
      return error.status === 404
        ? new NotFoundError(fields)
        : error.status === 409
          ? new Conflict(fields)
          : new BadRequest(fields)
    }
  }
}

/** The status a domain error answers with. */
export const statusOf = (error: DomainError): number => httpStatus[toHttpError(error)._tag]

/**
 * What the log gets that the caller does not: why an upstream failed, and when the breaker
 * reopens (the Retry-After header of a 503).
 */
const observe = (error: DomainError) =>
  Effect.gen(function* () {
    if (error._tag === "UpstreamFailure") {
      yield* Effect.logWarning(`${error.upstream} failed: ${redactUrls(error.reason)}`)
    } else if (error._tag === "UpstreamTimeout") {
      yield* Effect.logWarning(`${error.upstream} timed out`)
    } else if (error._tag === "UpstreamUnavailable") {
      const info = yield* Effect.serviceOption(RequestInfo)
      if (info._tag === "Some") info.value.retryAfterSeconds = error.retryAfterSeconds
    }
  })

/**
 * Maps a use case's domain errors for a handler. Storage failures are defects: the caller gets a
 * 500 with the request id, and the cause goes to the log only.
 */
export const httpErrors = <A, E extends DomainError, R>(
  effect: Effect.Effect<A, E | StorageError, R>
): Effect.Effect<A, HttpErrorOf<E>, R> =>
  Effect.catch(effect, (error) =>
    error._tag === "StorageError"
      ? Effect.die(error)
      : Effect.andThen(observe(error as E), Effect.fail(toHttpError(error as E) as HttpErrorOf<E>))
  )
