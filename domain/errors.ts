import { Schema } from "effect"

/**
 * Domain errors say what went wrong in the product's terms. Which HTTP status each one becomes is
 * decided in one place, in the runtime's HTTP layer.
 */

/** The caller could not be authenticated. `reason` is for the server log only, never the response. */
export class InvalidApiKey extends Schema.TaggedError<InvalidApiKey>()("InvalidApiKey", {
  reason: Schema.String
}) {}

export class MissingScope extends Schema.TaggedError<MissingScope>()("MissingScope", {
  scope: Schema.String
}) {}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  resource: Schema.String,
  id: Schema.String
}) {}

export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  details: Schema.String
}) {}

export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  resource: Schema.String,
  id: Schema.String
}) {}

/** A storage failure the caller cannot fix: becomes a 500 with the request id. */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `${this.operation} failed`
  }
}

/** Another sync of the same outlet held its lock for longer than the wait allows. */
export class SyncInProgress extends Schema.TaggedError<SyncInProgress>()("SyncInProgress", {
  outletId: Schema.String
}) {}

/** A sync would deactivate more than the guard allows of an outlet's active products. */
export class TooManyDeactivations extends Schema.TaggedError<TooManyDeactivations>()("TooManyDeactivations", {
  active: Schema.Int,
  deactivating: Schema.Int,
  limitPercent: Schema.Int
}) {}

/** The request names no POS plugin the service has loaded (X-Provider). */
export class UnknownProvider extends Schema.TaggedError<UnknownProvider>()("UnknownProvider", {
  provider: Schema.NullOr(Schema.String),
  loaded: Schema.Array(Schema.String)
}) {}

/** A POS payload that is not the provider's format or breaks its rules. */
export class InvalidPayload extends Schema.TaggedError<InvalidPayload>()("InvalidPayload", {
  provider: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {}
