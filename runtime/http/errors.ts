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

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields, { httpApiStatus: 400 }) {}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields, { httpApiStatus: 401 }) {}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", fields, { httpApiStatus: 403 }) {}
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", fields, {
  httpApiStatus: 404
}) {}
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", fields, { httpApiStatus: 409 }) {}
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", fields, {
  httpApiStatus: 415
}) {}
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", fields, {
  httpApiStatus: 503
}) {}

export class BadGateway extends Schema.TaggedError<BadGateway>()("BadGateway", fields, { httpApiStatus: 502 }) {}
export class GatewayTimeout extends Schema.TaggedError<GatewayTimeout>()("GatewayTimeout", fields, {
  httpApiStatus: 504
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

export const BadRequestJson = asEnvelope(BadRequest, 400)
export const UnauthorizedJson = asEnvelope(Unauthorized, 401)
export const ForbiddenJson = asEnvelope(Forbidden, 403)
export const NotFoundJson = asEnvelope(NotFoundError, 404)
export const ConflictJson = asEnvelope(Conflict, 409)
export const UnsupportedMediaTypeJson = asEnvelope(UnsupportedMediaType, 415)
export const ServiceUnavailableJson = asEnvelope(ServiceUnavailable, 503)
export const BadGatewayJson = asEnvelope(BadGateway, 502)
export const GatewayTimeoutJson = asEnvelope(GatewayTimeout, 504)

/** Every failure to authenticate, and an unknown tenant, answer these same bytes. */
export const invalidApiKey = () =>
  new Unauthorized({ message: "invalid api key", details: "the provided X-Api-Key is invalid or expired" })
