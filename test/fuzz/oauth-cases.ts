import * as fc from "fast-check"

/**
 * Requests to `POST /oauth/token`, the one route that answers RFC 6749's errors (section 5.2)
 * rather than the envelope: a valid client credentials grant, or one with something broken. Unknown
 * parameters are ignored, as the RFC says; everything else broken is refused with its error code.
 */

const errorCodes = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "temporarily_unavailable"
])

const breakages = [
  "none",
  "nul",
  "loneSurrogate",
  "huge",
  "repeated",
  "unknownParameter",
  "json",
  "noGrantType",
  "otherGrantType",
  "wrongSecret",
  "unknownScope",
  "garbledBasic"
] as const

export interface OAuthCase {
  readonly basic: boolean
  readonly scope: string | undefined
  readonly breakage: (typeof breakages)[number]
  readonly field: "grant_type" | "client_id" | "client_secret" | "scope"
}

export const oauthCases: fc.Arbitrary<OAuthCase> = fc.record({
  basic: fc.boolean(),
  scope: fc.option(fc.constantFrom("outlets:read", "products:read outlets:read", "orders:write"), { nil: undefined }),
  breakage: fc.constantFrom(...breakages),
  field: fc.constantFrom("grant_type", "client_id", "client_secret", "scope")
})

/** The request a case stands for, and the check of its answer (undefined: as the RFC wants). */
export const oauthRequest = (c: OAuthCase, client: { readonly id: string; readonly secret: string }) => {
  const fields = new Map<string, string>([["grant_type", "client_credentials"]])
  const secret = c.breakage === "wrongSecret" ? `${client.secret}x` : client.secret
  if (!c.basic) {
    fields.set("client_id", client.id)
    fields.set("client_secret", secret)
  }
  if (c.scope !== undefined) fields.set("scope", c.scope)
  let refused = c.breakage !== "none" && c.breakage !== "unknownParameter"
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
  if (c.basic) {
    headers["authorization"] =
      c.breakage === "garbledBasic"
        ? "Basic %%%not-base64"
        : `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`).toString("base64")}`
  } else if (c.breakage === "garbledBasic") {
    refused = false
  }
  const field = fields.has(c.field) ? c.field : "grant_type"
  let raw: string | undefined
  switch (c.breakage) {
    case "nul":
      fields.set(field, `${fields.get(field)}\u0000`)
      break
    case "loneSurrogate":
      raw = `${field}=a%ED%A0%80`
      break
    case "huge":
      fields.set(field, "z".repeat(200_000))
      break
    case "unknownParameter":
      fields.set("audience", "anything")
      break
    case "noGrantType":
      fields.delete("grant_type")
      break
    case "otherGrantType":
      fields.set("grant_type", "password")
      break
    case "unknownScope":
      fields.set("scope", "everything:admin")
      break
    case "json":
      headers["content-type"] = "application/json"
      break
    default:
      break
  }
  let body =
    c.breakage === "json"
      ? JSON.stringify(Object.fromEntries(fields))
      : [...fields].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
  if (raw !== undefined)
    body = [...[...fields].filter(([k]) => k !== field).map(([k, v]) => `${k}=${encodeURIComponent(v)}`), raw].join("&")
  if (c.breakage === "repeated") body = `${body}&${field}=${encodeURIComponent(fields.get(field) ?? "x")}`

  const problem = (status: number, contentType: string | null, text: string): string | undefined => {
    if (status >= 500) return "a server error"
    if (contentType !== "application/json") return `content type ${contentType}`
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(text) as Record<string, unknown>
    } catch {
      return "not JSON"
    }
    if (status === 200) {
      if (refused) return `granted a token to a request with ${c.breakage}`
      return typeof parsed["access_token"] === "string" && parsed["token_type"] === "Bearer"
        ? undefined
        : "200 without access_token and token_type Bearer"
    }
    if (![400, 401, 413, 429].includes(status)) return `status ${status} is not one RFC 6749 gives`
    if (typeof parsed["error"] !== "string" || !errorCodes.has(parsed["error"])) {
      return `error ${JSON.stringify(parsed["error"])} is not an RFC 6749 code`
    }
    if (status === 429 && parsed["error"] !== "temporarily_unavailable") return "429 without temporarily_unavailable"
    if (!refused && status !== 429) return `refused a valid request (${c.breakage})`
    return undefined
  }
  return { headers, body, problem }
}
