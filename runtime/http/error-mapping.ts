import { Effect } from "effect"
import type {
  AlreadyExists,
  InvalidApiKey,
  InvalidInput,
  InvalidPayload,
  MissingScope,
  NotFound,
  StorageError,
  SyncInProgress,
  TooManyDeactivations,
  UnknownProvider
} from "../../domain/errors.ts"
import { BadRequest, Conflict, Forbidden, invalidApiKey, NotFoundError, type Unauthorized } from "./errors.ts"

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

export type HttpError = BadRequest | Unauthorized | Forbidden | NotFoundError | Conflict

export const forbidden = (error: MissingScope) =>
  new Forbidden({ message: "forbidden", details: `this API key lacks the scope '${error.scope}'` })

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
        details: `no ${error.resource} with id '${error.id}' in this tenant`
      })
    case "InvalidInput":
      return new BadRequest({ message: "invalid request", details: error.details })
    case "AlreadyExists":
      return new Conflict({ message: "conflict", details: `${error.resource} '${error.id}' already exists` })
    case "InvalidPayload":
      return new BadRequest({
        message: "invalid request",
        details: `not a valid ${error.provider} payload: ${error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`
      })
    case "UnknownProvider":
      return new BadRequest({
        message: "invalid request",
        details: `${error.provider === null ? "X-Provider is missing" : `no POS plugin '${error.provider}' is loaded`}; loaded providers: ${error.loaded.join(", ") || "none"}`
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
  }
}

/**
 * Maps a use case's domain errors for a handler. Storage failures are defects: the caller gets a
 * 500 with the request id, and the cause goes to the log only.
 */
export const httpErrors = <A, R>(
  effect: Effect.Effect<A, DomainError | StorageError, R>
): Effect.Effect<A, HttpError, R> =>
  Effect.catch(effect, (error) => (error._tag === "StorageError" ? Effect.die(error) : Effect.fail(toHttpError(error))))
