import { Effect, Schema } from "effect"

/** Deliverect's production API; staging is https://api.staging.deliverect.com. */
export const PRODUCTION_BASE_URL = "https://api.deliverect.com"

const Text = Schema.String.pipe(Schema.check(Schema.isMinLength(1)))

/**
 * What an operator sets per outlet (channel link), in Deliverect's terms. Plain strings, so that the
 * stored JSON and the decoded value are the same shape; the core never returns or logs them.
 */
export const OutletCredentials = Schema.Struct({
  /** The Channel API base URL (tests point it at a fake server). */
  baseUrl: Schema.String.pipe(
    Schema.check(Schema.isPattern(/^https?:\/\/[^\s/]+(?:\/\S*)?$/)),
    Schema.withDecodingDefaultKey(Effect.succeed(PRODUCTION_BASE_URL))
  ),
  /** The channel's case-sensitive scope in Deliverect URLs: POST /{channelName}/order/{channelLinkId}. */
  channelName: Text,
  /** OAuth client credentials of the channel integration, for the Channel API token (POST /oauth/token). */
  clientId: Text,
  clientSecret: Text,
  /** Signs webhooks (x-deliverect-signature). On staging Deliverect uses the channelLinkId itself. */
  webhookSecret: Text,
  /**
   * The token request's `audience`. Deliverect's examples disagree (the production URL on staging
   * in some, the environment's own URL in others), so it can be set; absent, it is `baseUrl`.
   * Optional: credentials stored before orders were supported still decode.
   */
  audience: Schema.optionalKey(Text),
  /**
   * The order's `courier` for delivery orders: "restaurant" (the default: the restaurant, or a
   * Dispatch partner it set up, delivers), or the channel's own name when the ordering partner's
   * riders deliver. Deliverect knows no other values. Pickup, eat-in and curbside orders always
   * say "restaurant".
   */
  courier: Schema.optionalKey(Text)
})
export type OutletCredentials = typeof OutletCredentials.Type

/**
 * Deliverect has no account level of credentials (see README.md, "Credentials"): the plugin declares
 * `account: null`, so the account credentials it is handed are always null.
 */
export type AccountCredentials = never
