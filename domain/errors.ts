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
}) {}
