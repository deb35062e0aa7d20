import { Effect, Schema } from "effect"

const Required = Schema.String.pipe(Schema.check(Schema.isPattern(/\S/, { message: "must not be blank" })))

/** An http(s) base URL without user or password: a secret never rides in a URL, where errors and logs could show it. */
const BaseUrl = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(/^https?:\/\/[^\s/@?#]+(?:\/[^\s?#]*)?$/, {
      message: "must be an http(s) URL without user, password, query or fragment"
    })
  )
)

/** Atlas's Admin API (menus, orders, stocks); a test or staging setup points it elsewhere (a fake POS on loopback). */
export const defaultAdminBaseUrl = "https://api.atlas.kitchen/admin/v1"

/** Atlas's Storefront API, whose `GET /channel` lists a channel's outlets. */
export const defaultStorefrontBaseUrl = "https://api.atlas.kitchen/storefronts/v1"

/**
 * What an operator sets per outlet: the token Atlas sends with its webhooks when the endpoint that
 * delivers this outlet's events carries a token of its own. Credentials stored for an outlet before
 * the merchant level existed (`baseUrl`, `apiKey`, `merchantId`, `channelId`, `webhookToken`) still
 * decode: only the token is read here, the Admin API keys now belong to the merchant.
 */
export const OutletCredentials = Schema.Struct({
  webhookToken: Required
})
export type OutletCredentials = typeof OutletCredentials.Type

/**
 * What an operator sets per Atlas merchant (the POS account; its id is the merchant id). The Admin
 * API authenticates a merchant with `X-Api-Key` and `X-Merchant-Id`. `channelId` names the
 * storefront channel whose outlets `GET /channel` lists (pulling outlets needs it; it is an
 * identifier, not a secret). `orderChannelId` is the Atlas channel orders are created under (the
 * Admin API's `POST /outlets/{outlet_id}/channels/{channel_id}/orders`; submitting orders needs
 * it). `webhookToken` is the token of the merchant's webhook endpoint (a Bearer token or a custom
 * header, configured per endpoint in the Atlas Merchant Portal). Every field added after the first
 * release is optional, so credentials stored before still decode.
 */
export const AccountCredentials = Schema.Struct({
  adminBaseUrl: BaseUrl.pipe(Schema.withDecodingDefaultKey(Effect.succeed(defaultAdminBaseUrl))),
  storefrontBaseUrl: BaseUrl.pipe(Schema.withDecodingDefaultKey(Effect.succeed(defaultStorefrontBaseUrl))),
  merchantId: Required,
  apiKey: Required,
  channelId: Schema.optionalKey(Required),
  orderChannelId: Schema.optionalKey(Required),
  webhookToken: Schema.optionalKey(Required)
})
export type AccountCredentials = typeof AccountCredentials.Type

/** The secrets of both levels, to keep out of every error message. */
export const secretsOf = (
  outlet: OutletCredentials | null,
  account: AccountCredentials | null
): ReadonlyArray<string> =>
  [outlet?.webhookToken, account?.apiKey, account?.webhookToken].filter(
    (secret): secret is string => secret !== undefined && secret.trim() !== ""
  )
