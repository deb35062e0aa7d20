import { Effect, Schema } from "effect"

const Required = Schema.String.pipe(Schema.check(Schema.isPattern(/\S/, { message: "must not be blank" })))

/** Atlas's Admin API; a test or staging setup points `baseUrl` elsewhere (e.g. a fake POS on loopback). */
export const defaultBaseUrl = "https://api.atlas.kitchen/admin/v1"

/**
 * What an operator sets per outlet, in Atlas's terms: the Admin API's `X-Api-Key` and
 * `X-Merchant-Id`, the channel orders are placed on (`/outlets/{outlet_id}/channels/{channel_id}/orders`),
 * and the token Atlas sends with its webhooks (a Bearer token or a custom header per endpoint).
 */
export const Credentials = Schema.Struct({
  baseUrl: Schema.String.pipe(
    Schema.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "must be an http(s) URL" })),
    Schema.withDecodingDefaultKey(Effect.succeed(defaultBaseUrl))
  ),
  apiKey: Required,
  merchantId: Required,
  channelId: Required,
  webhookToken: Required
})
export type Credentials = typeof Credentials.Type
