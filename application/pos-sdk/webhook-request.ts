import { Effect } from "effect"
import { PayloadRejected } from "./errors.ts"
import type { WebhookRequest } from "./plugin.ts"

/** A header of a webhook request by name, in any case: the core may hand them over as they were sent. */
export const webhookHeader = (request: WebhookRequest, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value
  }
  return undefined
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The raw body of a webhook as JSON: invalid UTF-8 or JSON is a PayloadRejected, never a throw. */
export const webhookJson = (request: WebhookRequest): Effect.Effect<unknown, PayloadRejected> =>
  Effect.try({
    try: (): unknown => JSON.parse(utf8.decode(request.body)),
    catch: () => PayloadRejected.one("(root)", "the body is not JSON")
  })
