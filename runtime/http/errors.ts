import { Schema, SchemaTransformation } from "effect"

/**
 * The one error envelope: `{"error":{"code","message","details"}}` with `code` equal to the HTTP status.
 * Each HTTP error class carries its status; its encoded form is the envelope.
 */
export const EnvelopeBody = Schema.Struct({
  error: Schema.Struct({ code: Schema.Int, message: Schema.String, details: Schema.String })
}).annotate({ identifier: "ErrorEnvelope" })

export const envelopeJson = (code: number, message: string, details: string): string =>
  JSON.stringify({ error: { code, message, details } })

const fields = { message: Schema.String, details: Schema.String }

/** Each HTTP error's status, once: its class, its envelope and the error mapping read it here. */
export const httpStatus = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFoundError: 404,
  Conflict: 409,
  UnsupportedMediaType: 415,
  PreconditionRequiredError: 428,
  TooManyRequests: 429,
  BadGateway: 502,
  ServiceUnavailable: 503,
  GatewayTimeout: 504
} as const

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields, {
  httpApiStatus: httpStatus.BadRequest
}) {}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields, {
  httpApiStatus: httpStatus.Unauthorized
}) {}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", fields, {
  httpApiStatus: httpStatus.Forbidden
}) {}
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", fields, {
  httpApiStatus: httpStatus.NotFoundError
}) {}
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", fields, {
  httpApiStatus: httpStatus.Conflict
}) {}
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", fields, {
  httpApiStatus: httpStatus.UnsupportedMediaType
}) {}
export class PreconditionRequiredError extends Schema.TaggedError<PreconditionRequiredError>()(
  "PreconditionRequiredError",
  fields,
  { httpApiStatus: httpStatus.PreconditionRequiredError }
) {}
/** A rate limit is used up (answered by the key middleware with Retry-After and the RateLimit fields). */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", fields, {
  httpApiStatus: httpStatus.TooManyRequests
}) {}
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", fields, {
  httpApiStatus: httpStatus.ServiceUnavailable
}) {}

export class BadGateway extends Schema.TaggedError<BadGateway>()("BadGateway", fields, {
  httpApiStatus: httpStatus.BadGateway
}) {}
export class GatewayTimeout extends Schema.TaggedError<GatewayTimeout>()("GatewayTimeout", fields, {
  httpApiStatus: httpStatus.GatewayTimeout
}) {}

type EnvelopeError = { readonly message: string; readonly details: string }

/** The error class as an endpoint or middleware declares it: encoded as the envelope. */
const asEnvelope = <C extends Schema.Top & (new (args: EnvelopeError) => EnvelopeError & Schema.Top["Type"])>(
  cls: C,
  code: number
) =>
  cls.pipe(
    Schema.encodeTo(
      EnvelopeBody,
      SchemaTransformation.transform({
        decode: (body: typeof EnvelopeBody.Type) =>
          new cls({ message: body.error.message, details: body.error.details }) as C["Type"],
        encode: (error: C["Type"]) => ({
          error: { code, message: (error as EnvelopeError).message, details: (error as EnvelopeError).details }
        })
      })
    )
  )

export const BadRequestJson = asEnvelope(BadRequest, httpStatus.BadRequest)
export const UnauthorizedJson = asEnvelope(Unauthorized, httpStatus.Unauthorized)
export const ForbiddenJson = asEnvelope(Forbidden, httpStatus.Forbidden)
export const NotFoundJson = asEnvelope(NotFoundError, httpStatus.NotFoundError)
export const ConflictJson = asEnvelope(Conflict, httpStatus.Conflict)
export const UnsupportedMediaTypeJson = asEnvelope(UnsupportedMediaType, httpStatus.UnsupportedMediaType)
export const PreconditionRequiredJson = asEnvelope(PreconditionRequiredError, httpStatus.PreconditionRequiredError)
export const TooManyRequestsJson = asEnvelope(TooManyRequests, httpStatus.TooManyRequests)
export const ServiceUnavailableJson = asEnvelope(ServiceUnavailable, httpStatus.ServiceUnavailable)
export const BadGatewayJson = asEnvelope(BadGateway, httpStatus.BadGateway)
export const GatewayTimeoutJson = asEnvelope(GatewayTimeout, httpStatus.GatewayTimeout)

/** Every failure to authenticate, and an unknown tenant, answer these same bytes. */
export const invalidApiKey = () =>
  new Unauthorized({ message: "invalid api key", details: "the provided X-Api-Key is invalid or expired" })
