import type { PosCredentials, WebhookRequest } from "@pos-integration/sdk"
import { verifySharedToken, WebhookRejected, webhookHeader } from "@pos-integration/sdk"
import { Effect } from "effect"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"

/** The shared-token header, carrying the business's `webhookToken`. */
export const tokenHeader = "x-webhook-token"

/** The password of an `Authorization: Basic` header, or undefined when there is none or it is malformed. */
const basicPassword = (authorization: string | undefined): string | undefined => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "")
  if (match === null) return undefined
  try {
    const binary = atob(match[1]!)
    const decoded = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)))
    const colon = decoded.indexOf(":")
    return colon < 0 ? undefined : decoded.slice(colon + 1)
  } catch {
    return undefined
  }
}

/**
 * Lightspeed K-Series does not sign its notifications (api-docs.lsk.lightspeed.app, webhooks: no
 * signature header is documented). What the vendor offers is HTTP Basic authentication on the
 * registered endpoint (`withBasicAuth`, `username`, `password` of `POST /o/wh/1/webhook`); it has no
 * field for custom headers. That endpoint is registered with the business's OAuth authorization,
 * so its password is the business's: the account credentials' `webhookToken`. A notification names
 * its business location (the webhook subject is that outlet); the core hands over the credentials
 * of the business the outlet belongs to.
 *
 * A notification is authentic when it presents the `webhookToken` either as the Basic-auth password
 * (what Lightspeed itself can send; the user name is no secret and is not checked) or as an
 * `x-webhook-token` header (for a relay in front of us). Compared in constant time; when the header
 * is present, it alone is checked. A token proves the sender, not the body: integrity in transit
 * rests on TLS. Without a business `webhookToken` every notification is refused.
 */
export const verifyWebhook = (
  request: WebhookRequest,
  credentials: PosCredentials<OutletCredentials, AccountCredentials>
): Effect.Effect<void, WebhookRejected> =>
  Effect.suspend(() => {
    const expected = credentials.account?.webhookToken
    if (expected === undefined) {
      return Effect.fail(new WebhookRejected({ reason: "no webhook token is set for the business" }))
    }
    const token = webhookHeader(request, tokenHeader)
    if (token !== undefined) return verifySharedToken(expected, token)
    const authorization = webhookHeader(request, "authorization")
    if (authorization === undefined) return verifySharedToken(expected, undefined)
    const password = basicPassword(authorization)
    return password === undefined
      ? Effect.fail(new WebhookRejected({ reason: "malformed Authorization header" }))
      : verifySharedToken(expected, password)
  }).pipe(Effect.catchDefect(() => Effect.fail(new WebhookRejected({ reason: "the request could not be checked" }))))
