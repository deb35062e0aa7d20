import { Effect, Schema } from "effect"

/** Lightspeed Restaurant K-Series production API; the trial (demo) one is https://api.trial.lsk.lightspeed.app. */
export const PRODUCTION_API = "https://api.lsk.lightspeed.app"

const NonEmpty = Schema.String.check(Schema.isMinLength(1))

/** A K-Series SKU as an order line takes it: 1 to 25 characters. */
const Sku = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(25))

/** Host names that never leave the machine: the only ones an `http:` (unencrypted) API URL may name. */
const loopback = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/

/**
 * An API base URL: https, or http on the loopback interface only (a fake server in tests), so that
 * tokens never cross a network in clear text. No user, query or fragment: tokens go in headers only.
 */
const ApiBaseUrl = Schema.String.check(
  Schema.makeFilter((text: string) => {
    const match = /^(https?):\/\/([^\s/?#@]+)(?:\/[^\s?#@]*)?$/.exec(text)
    if (match === null) return "expected an http(s) base URL without user, query or fragment"
    const host = match[2]!.replace(/:\d+$/, "").toLowerCase()
    return match[1] === "https" || loopback.test(host) || "http is allowed for a loopback host only: use https"
  })
)

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/** An ISO 8601 instant with its offset (`2026-11-27T10:15:00.000Z`), as the plugin stores it. */
const Instant = Schema.String.check(
  Schema.makeFilter(
    (text: string) =>
      (isoInstant.test(text) && !Number.isNaN(Date.parse(text))) || "expected an ISO 8601 date-time with an offset"
  )
)

/**
 * The credentials of a Lightspeed business: the POS account level (`businessId`). Lightspeed
 * authorizes an OAuth2 client for a whole business (authorization code flow), and the webhook
 * endpoint that order notifications reach is registered with that authorization, so everything
 * secret lives here:
 *
 * - `clientId` / `clientSecret`: the OAuth client, sent as HTTP Basic to `POST /oauth/token`;
 * - `refreshToken`: SINGLE USE. Every refresh answers a new one, which the plugin stores through
 *   the vault (`rotate`) before the old one could be used again;
 * - `accessToken` / `accessTokenExpiresAt`: the current access token (60 minutes) and when it
 *   expires. Both optional: without a token the first call refreshes; a token without an expiry is
 *   used until the API answers 401;
 * - `webhookToken`: the password of the order notifications' Basic authentication (see
 *   webhook-auth.ts); optional, but without it every notification is refused.
 *
 * Ordering (see orders.ts) reads four more fields, all optional so that credentials stored before
 * ordering existed still decode; an order submitted without `endpointId` fails with
 * `MissingCredentials` naming it:
 *
 * - `endpointId`: the id of the webhook endpoint registered for the business (`PUT /o/wh/1/webhook`).
 *   Every K-Series order names one, and its status notifications go there;
 * - `orderProfileCodes`: the order profile (`accountProfileCode`) per kind of order; without one,
 *   the location's default profile for API orders applies;
 * - `paymentMethodCode`: the merchant's payment method code for orders paid to the partner;
 * - `chargeSkus`: SKUs of custom-priced items that carry the order's charges onto the check.
 */
export const AccountCredentials = Schema.Struct({
  /** Production by default; https://api.trial.lsk.lightspeed.app for the trial environment. */
  apiBaseUrl: ApiBaseUrl.pipe(Schema.withDecodingDefaultKey(Effect.succeed(PRODUCTION_API))),
  clientId: NonEmpty,
  clientSecret: NonEmpty,
  refreshToken: NonEmpty,
  accessToken: Schema.optionalKey(NonEmpty),
  accessTokenExpiresAt: Schema.optionalKey(Instant),
  /** At least 16 characters: it is the only thing that authenticates an order notification. */
  webhookToken: Schema.optionalKey(Schema.String.check(Schema.isMinLength(16))),
  /** The webhook endpoint orders name (`endpointId`): required to submit orders. */
  endpointId: Schema.optionalKey(NonEmpty),
  /**
   * Order profile codes (`GET /o/op/data/account-profiles`, `code`): `takeaway` for pickup and
   * curbside orders, `delivery` for deliveries (both `POST /o/op/1/order/toGo`), `local` for dine-in
   * orders (`POST /o/op/1/order/local`). A kind without a code is sent without one.
   */
  orderProfileCodes: Schema.optionalKey(
    Schema.Struct({
      takeaway: Schema.optionalKey(NonEmpty),
      delivery: Schema.optionalKey(NonEmpty),
      local: Schema.optionalKey(NonEmpty)
    })
  ),
  /** The K-Series payment method code that a paid order's payment is booked with; Lightspeed's default without it. */
  paymentMethodCode: Schema.optionalKey(NonEmpty),
  /**
   * Items (SKUs, at most 25 characters, whose price may be customized) that carry the order's
   * charges onto the check at the charge's amount: a delivery fee, a service charge, packaging,
   * other charges. A charge of a kind without an item is written in the order note instead.
   */
  chargeSkus: Schema.optionalKey(
    Schema.Struct({
      delivery: Schema.optionalKey(Sku),
      service: Schema.optionalKey(Sku),
      packaging: Schema.optionalKey(Sku),
      other: Schema.optionalKey(Sku)
    })
  )
})
export type AccountCredentials = typeof AccountCredentials.Type

/**
 * Nothing is secret per business location: a location is reached with its business's token and its
 * own `blID`, which the outlet sync records. An empty object is the only valid value, so that
 * business credentials set on a location by mistake are refused rather than silently ignored.
 */
export const OutletCredentials = Schema.Record(Schema.String, Schema.Unknown).check(
  Schema.makeFilter(
    (value: Readonly<Record<string, unknown>>) =>
      Object.keys(value).length === 0 ||
      "Lightspeed takes no per-location credentials: set the OAuth client and tokens on the business (account level)"
  )
)
export type OutletCredentials = typeof OutletCredentials.Type
