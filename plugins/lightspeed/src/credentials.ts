import { Schema } from "effect"

const NonEmpty = Schema.String.check(Schema.isMinLength(1))

/**
 * What an operator sets per outlet, in Lightspeed's own terms. The OAuth2 fields are those of the
 * authorization-code flow (access tokens live 60 minutes, refresh tokens are single use, so the
 * client id and secret are needed to refresh). `webhookToken` is the shared secret that the order
 * notifications must present (see webhook-auth.ts).
 */
export const Credentials = Schema.Struct({
  /** https://api.lsk.lightspeed.app (production) or https://api.trial.lsk.lightspeed.app (demo). */
  baseUrl: Schema.String.check(
    Schema.isPattern(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/, { expected: "an http(s) base URL" })
  ),
  accessToken: NonEmpty,
  refreshToken: NonEmpty,
  clientId: NonEmpty,
  clientSecret: NonEmpty,
  /** At least 16 characters: it is the only thing that authenticates an order notification. */
  webhookToken: Schema.String.check(Schema.isMinLength(16))
})
export type Credentials = typeof Credentials.Type
