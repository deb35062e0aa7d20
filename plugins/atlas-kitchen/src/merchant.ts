import { MissingCredentials, type PosCallContext, requireCredentials } from "@pos-integration/sdk"
import { Effect } from "effect"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>

/**
 * The merchant's credentials, checked against the merchant the call names: the core finds them by
 * the account id, so another merchant's credentials are a misconfiguration, never used silently.
 */
export const merchantCredentials = (
  context: Context,
  purpose: string
): Effect.Effect<AccountCredentials, MissingCredentials> =>
  Effect.gen(function* () {
    const account = yield* requireCredentials(context.credentials.account, "account", purpose)
    if (context.accountId !== null && context.accountId !== account.merchantId) {
      return yield* new MissingCredentials({
        level: "account",
        reason: `the account credentials set for merchant ${context.accountId} name another merchant: ${purpose} needs that merchant's`
      })
    }
    return account
  })

/** The Admin API authenticates a merchant by its key and id (docs.atlas.kitchen, "Authentication"). */
export const adminHeaders = (account: AccountCredentials): Readonly<Record<string, string>> => ({
  "X-Api-Key": account.apiKey,
  "X-Merchant-Id": account.merchantId
})
