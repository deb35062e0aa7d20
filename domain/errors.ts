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

/**
 * A POS webhook that could not be verified: a wrong or missing signature or token, or no credentials
 * to verify it with (an unknown outlet or account, or none set). Nothing it says is applied.
 */
export class WebhookNotVerified extends Schema.TaggedError<WebhookNotVerified>()("WebhookNotVerified", {
  provider: Schema.String,
  reason: Schema.String
}) {}

/** A POS payload that is not the provider's format or breaks its rules. */
export class InvalidPayload extends Schema.TaggedError<InvalidPayload>()("InvalidPayload", {
  provider: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {}

/** A refCode already used for this operation with another payload (SPEC section 6). */
export class RefCodeConflict extends Schema.TaggedError<RefCodeConflict>()("RefCodeConflict", {
  refCode: Schema.String
}) {}

/** The first request with this refCode has not finished yet. */
export class RequestInProgress extends Schema.TaggedError<RequestInProgress>()("RequestInProgress", {
  refCode: Schema.String
}) {}

/** A redeem asks for more points than the member has. */
export class InsufficientPoints extends Schema.TaggedError<InsufficientPoints>()("InsufficientPoints", {
  balance: Schema.Int,
  required: Schema.Int
}) {}

/** The tenant is missing configuration a feature needs (a loyalty credential). */
export class NotConfigured extends Schema.TaggedError<NotConfigured>()("NotConfigured", {
  what: Schema.String
}) {}

/** An upstream (the loyalty-service) is not being called: its breaker is open. */
export class UpstreamUnavailable extends Schema.TaggedError<UpstreamUnavailable>()("UpstreamUnavailable", {
  upstream: Schema.String,
  retryAfterSeconds: Schema.Int
}) {}

/** The upstream did not answer within the request's deadline. */
export class UpstreamTimeout extends Schema.TaggedError<UpstreamTimeout>()("UpstreamTimeout", {
  upstream: Schema.String
}) {}

/** The upstream answered with a server error, garbage, a reset, or refused our credential. `reason` is for the log. */
export class UpstreamFailure extends Schema.TaggedError<UpstreamFailure>()("UpstreamFailure", {
  upstream: Schema.String,
  reason: Schema.String
}) {}

/**
 * A final 4xx answer passed through to the caller with its status, message and details: an
 * upstream's 400/404/409, or a stored answer replayed for a refCode.
 */
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  status: Schema.Int,
  message: Schema.String,
  details: Schema.String
}) {}

/** A write to a versioned object (a Menu V2 draft) that names no version to apply to (If-Match). */
export class PreconditionRequired extends Schema.TaggedError<PreconditionRequired>()("PreconditionRequired", {
  resource: Schema.String,
  id: Schema.String
}) {}

/** A write naming a version of the object that is no longer its current one: read it again. */
export class StaleVersion extends Schema.TaggedError<StaleVersion>()("StaleVersion", {
  resource: Schema.String,
  id: Schema.String,
  current: Schema.Int,
  given: Schema.Int
}) {}

/** A published menu already has a draft: there is one draft per menu. */
export class DraftExists extends Schema.TaggedError<DraftExists>()("DraftExists", {
  menuId: Schema.String,
  draftId: Schema.String
}) {}

/**
 * An order operation the order's or outlet's state does not allow: an outlet in busy mode PAUSED
 * (`outlet paused`), a POS that takes no orders through this service, a cancellation the POS cannot
 * receive. `message` is the envelope's short message, `details` says why and what to do.
 */
export class OrderConflict extends Schema.TaggedError<OrderConflict>()("OrderConflict", {
  message: Schema.String,
  details: Schema.String
}) {}
