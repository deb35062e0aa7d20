import { Effect, Schema } from "effect"
import { issueProblems, pathText } from "./issue-text.ts"

/** One problem in a POS payload: where (a JSON path such as `products.p1.price`) and what. */
export const PayloadIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
export type PayloadIssue = typeof PayloadIssue.Type

/** The payload is not this POS's format (or breaks its rules): a 400 naming the first problems. */
export class PayloadRejected extends Schema.TaggedError<PayloadRejected>()("PayloadRejected", {
  issues: Schema.Array(PayloadIssue)
}) {
  static one(path: string, message: string): PayloadRejected {
    return new PayloadRejected({ issues: [{ path, message }] })
  }
}

/** The POS refused a request for good (a bad order, an unknown item): final, not to be retried. */
export class PosRejected extends Schema.TaggedError<PosRejected>()("PosRejected", {
  reason: Schema.String,
  status: Schema.NullOr(Schema.Int)
}) {}

/** The POS could not be reached or answered with an error or garbage: the outcome is unknown, retry. */
export class PosUnavailable extends Schema.TaggedError<PosUnavailable>()("PosUnavailable", {
  reason: Schema.String
}) {}

/** A webhook whose signature or token does not check out. */
export class WebhookRejected extends Schema.TaggedError<WebhookRejected>()("WebhookRejected", {
  reason: Schema.String
}) {}

/**
 * Credentials the call needs were not set by an operator (or do not hold what it needs): the
 * operator must set them; retrying changes nothing.
 */
export class MissingCredentials extends Schema.TaggedError<MissingCredentials>()("MissingCredentials", {
  level: Schema.Literals(["outlet", "account"]),
  reason: Schema.String
}) {}

/** The credentials of a level, or a `MissingCredentials` failure naming the level and what they are for. */
export const requireCredentials = <C>(
  credentials: C | null,
  level: "outlet" | "account",
  purpose: string
): Effect.Effect<C, MissingCredentials> =>
  credentials === null
    ? Effect.fail(new MissingCredentials({ level, reason: `no ${level} credentials are set: ${purpose} needs them` }))
    : Effect.succeed(credentials)

/** The plugin does not implement this operation (see its manifest's capabilities). */
export class UnsupportedOperation extends Schema.TaggedError<UnsupportedOperation>()("UnsupportedOperation", {
  operation: Schema.String
}) {}

/** Schema failures as payload issues: the first few, each with its path, in plain words. */
export const issuesOf = (error: Schema.SchemaError): ReadonlyArray<PayloadIssue> =>
  issueProblems(error.issue).map((issue) => ({ path: pathText(issue.path) || "(root)", message: issue.problem }))

/**
 * Decodes an unknown payload with a plugin's Schema of the vendor's format. Every failure is a
 * typed `PayloadRejected`, never a defect, whatever the input.
 */
export const decodePayload =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  (input: unknown): Effect.Effect<S["Type"], PayloadRejected> =>
    Schema.decodeUnknownEffect(schema)(input, { errors: "all", reportInput: true }).pipe(
      Effect.mapError((error) => new PayloadRejected({ issues: issuesOf(error) }))
    )

/** What a plugin answers for an operation its manifest does not declare. */
export const unsupported = (operation: string): Effect.Effect<never, UnsupportedOperation> =>
  Effect.fail(new UnsupportedOperation({ operation }))
