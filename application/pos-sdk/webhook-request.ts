import { Effect } from "effect"
import { PayloadRejected } from "./errors.ts"
import type { WebhookRequest } from "./plugin.ts"

/** A header of a webhook request by name, in any case: the core may hand them over as they were sent. */
export const webhookHeader = (request: Pick<WebhookRequest, "headers">, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value
  }
  return undefined
}

/** The first value of a query parameter of the URL the vendor called, if it has one. */
export const webhookQuery = (request: Pick<WebhookRequest, "query">, name: string): string | undefined =>
  Object.hasOwn(request.query, name) ? request.query[name]?.[0] : undefined

const utf8 = new TextDecoder("utf-8", { fatal: true })
const encoder = new TextEncoder()

/** The raw body of a webhook as JSON: invalid UTF-8 or JSON is a PayloadRejected, never a throw. */
export const webhookJson = (request: Pick<WebhookRequest, "body">): Effect.Effect<unknown, PayloadRejected> =>
  Effect.try({
    try: (): unknown => JSON.parse(utf8.decode(request.body)),
    catch: () => PayloadRejected.one("(root)", "the body is not JSON")
  })

/** The query of a URL as a WebhookRequest carries it: every name with all of its values, in order. */
export const queryOf = (url: URL): Readonly<Record<string, ReadonlyArray<string>>> => {
  const query: Record<string, Array<string>> = Object.create(null)
  for (const [name, value] of url.searchParams) {
    const values = query[name]
    if (values === undefined) query[name] = [value]
    else values.push(value)
  }
  return query
}

/**
 * A webhook request as the service builds it, for tests and fixtures: the path and query come from
 * the URL, the method is POST unless given, and a string body is encoded as UTF-8.
 */
export const makeWebhookRequest = (input: {
  readonly url: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array | string
}): WebhookRequest => {
  const url = new URL(input.url)
  return {
    method: input.method ?? "POST",
    url: url.href,
    path: url.pathname,
    query: queryOf(url),
    headers: input.headers ?? {},
    body: typeof input.body === "string" ? encoder.encode(input.body) : input.body
  }
}
