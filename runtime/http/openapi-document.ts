import { Context, Schema } from "effect"
import { HttpApi, type HttpApiEndpoint, type HttpApiGroup, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import packageJson from "../../package.json" with { type: "json" }
import { Api } from "./api.ts"
import { ConditionalRead, cacheControl, compressAbove, varyHeader } from "./conditional-response.ts"
import { RequiredScopes } from "./context.ts"
import { errorResponses } from "./openapi-responses.ts"
import { webhooksSection } from "./openapi-webhooks.ts"

/**
 * The OpenAPI document as served: effect/http-api generates it from the declarations in api.ts and
 * the *-api.ts files; this module adds, in one place, what the declarations cannot say: the version,
 * the servers (from BASE_PATH and BASE_DOMAIN), the scopes each operation needs, the statuses the
 * request pipeline answers for every route, query integers (sent as strings, so generated as
 * strings), the shapes of our ids, the either-or body of a redeem, and the 304, validators and
 * compression of the reads that answer conditionally (conditional-response.ts).
 */

export interface DocumentSettings {
  readonly basePath: string
  readonly baseDomain: string
}

type Json = { [key: string]: unknown }

/**
 * Our ids: a prefix and 32 hex digits (derived or random); syncs are time-ordered base 36. Their
 * shape is described, not declared as a `pattern`: an id of another shape is answered as an unknown
 * one (404, as SPEC section 4's `out_9`), and the document promises only what the service enforces.
 */
const pathIds: Record<string, { readonly shape: string; readonly example: string; readonly of: string }> = {
  outletId: { shape: "`out_` and 32 hex digits", example: "out_5d41402abc4b2a76b9719d911017c592", of: "outlet" },
  productId: { shape: "`prd_` and 32 hex digits", example: "prd_7d793037a0760186574b0282f2f435e7", of: "product" },
  customerId: { shape: "`cus_` and 32 hex digits", example: "cus_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b", of: "customer" },
  syncId: { shape: "`syn_` and 21 base-36 characters", example: "syn_0mj1x2k3l000abc000xyz", of: "sync" },
  draftId: { shape: "`drf_` and 32 hex digits", example: "drf_3c9a1f0e2b4d4e6f8a0b1c2d3e4f5a6b", of: "draft" },
  menuId: { shape: "`mnu2_` and 32 hex digits", example: "mnu2_8e1d2c3b4a5f46e7d8c9b0a1f2e3d4c5", of: "menu" },
  sectionId: { shape: "`sec_` and 32 hex digits", example: "sec_5b6c7d8e9f0a41b2c3d4e5f6a7b8c9d0", of: "section" }
}

interface OperationFacts {
  readonly scopes: ReadonlyArray<Scope>
  readonly hasBody: boolean
  /** The decoded (type-side) JSON Schema of each query parameter. */
  readonly queryTypes: Record<string, Json>
  /** Answers through `conditional`: ETag, If-None-Match, compression. */
  readonly conditional: boolean
}

const operationId = (group: HttpApiGroup.Top, endpoint: HttpApiEndpoint.Top) =>
  group.topLevel ? endpoint.identifier : `${group.identifier}.${endpoint.identifier}`

/** A parameter that may be left out is `X | undefined` on the type side: the parameter's schema is X. */
const withoutNull = (schema: Json): Json => {
  const branches = schema["anyOf"]
  if (!Array.isArray(branches)) return schema
  const rest = branches.filter((branch: Json) => branch["type"] !== "null")
  const { anyOf: _, ...annotations } = schema
  return rest.length === 1 ? { ...annotations, ...rest[0] } : { ...annotations, anyOf: rest }
}

const collectFacts = (): Map<string, OperationFacts> => {
  const facts = new Map<string, OperationFacts>()
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ group, endpoint }) => {
      const queryTypes: Record<string, Json> = {}
      if (endpoint.query !== undefined) {
        const document = Schema.toJsonSchemaDocument(Schema.toType(endpoint.query))
        const properties = (document.schema["properties"] ?? {}) as Record<string, Json>
        for (const [name, schema] of Object.entries(properties)) queryTypes[name] = withoutNull(schema)
      }
      facts.set(operationId(group, endpoint), {
        scopes: Context.getOrUndefined(endpoint.annotations, RequiredScopes) ?? [],
        // A POST that declares no payload (a pull request) never reads a body: no 413, no 415.
        hasBody:
          (endpoint.method === "POST" || endpoint.method === "PUT" || endpoint.method === "PATCH") &&
          endpoint.payload.size > 0,
        queryTypes,
        conditional: Context.getOrUndefined(endpoint.annotations, ConditionalRead) === true
      })
    }
  })
  return facts
}

/**
 * The host the document was read from, then (on a real domain) any tenant's host. A local run's
 * `{tenant}.localhost` is left out: the relative server already is that host.
 */
const servers = (settings: DocumentSettings) => {
  const here = {
    url: settings.basePath === "" ? "/" : settings.basePath,
    description: "The host this document was read from (its first label names the tenant)"
  }
  if (settings.baseDomain === "localhost") return [here]
  return [
    here,
    {
      url: `https://{tenant}.${settings.baseDomain}${settings.basePath}`,
      description: "A tenant's own host: the tenant is the first label of the host name",
      variables: { tenant: { default: "demo", description: "The tenant's id, e.g. acme" } }
    }
  ]
}

const scopeSentence = (scopes: ReadonlyArray<Scope>) =>
  scopes.length === 0
    ? "Needs a valid API key in `X-Api-Key` or an OAuth 2.0 access token in `Authorization: Bearer` (any scope), not both."
    : `Needs an API key in \`X-Api-Key\` or an OAuth 2.0 access token in \`Authorization: Bearer\` (not both) with ${scopes.length === 1 ? "the scope" : "one of the scopes"} ${scopes.map((s) => `\`${s}\``).join(" or ")}.`

/** What each scope allows, for the OAuth flow's scope list. */
const scopeDescriptions: Record<Scope, string> = {
  "outlets:read": "Read outlets",
  "products:read": "Read products and the synced catalog",
  "menus:read": "Read menus (V1 and the effective V2 menu)",
  "menus:write": "Compose and publish Menu V2 menus",
  "orders:read": "Read orders",
  "orders:write": "Place and cancel orders",
  "customers:read": "Read customers",
  "customers:write": "Create and change customers",
  "loyalty:read": "Read loyalty balances and rewards",
  "loyalty:write": "Earn and redeem loyalty points",
  "webhooks:read": "Read webhook endpoints and their deliveries",
  "webhooks:write": "Register, change and remove webhook endpoints",
  "pos:sync": "Push outlets and catalogs (POS systems)"
}

/**
 * The bearer scheme as what it is: OAuth 2.0 client credentials, with the token endpoint (on the
 * tenant's host, relative to the server) and every scope a client may be given.
 */
const oauthScheme = (basePath: string) => ({
  type: "oauth2",
  description:
    "OAuth 2.0 client credentials (RFC 6749 section 4.4): a client created by an operator gets an access token (a JWT, RFC 9068) from `POST /oauth/token` on the tenant's host and sends it as `Authorization: Bearer <token>`. Metadata: `/.well-known/oauth-authorization-server` (RFC 8414). `loyalty:*` may be asked for as both loyalty scopes.",
  flows: {
    clientCredentials: {
      tokenUrl: `${basePath}/oauth/token`,
      scopes: scopeDescriptions
    }
  }
})

const finishParameters = (parameters: Array<Json>, facts: OperationFacts) => {
  for (const parameter of parameters) {
    const name = String(parameter["name"])
    const typed = facts.queryTypes[name]
    // Only self-contained schemas: a `$ref` would point into another document's definitions.
    if (parameter["in"] === "query" && typed !== undefined && typed["type"] !== "string" && !("$ref" in typed)) {
      parameter["schema"] = typed
    }
    const id = pathIds[name]
    if (parameter["in"] === "path" && id !== undefined) {
      parameter["description"] = `Our id of the ${id.of}: ${id.shape}. Any other value names no ${id.of}: 404.`
      // Merged, not replaced: whatever the declaration checks stays documented.
      parameter["schema"] = { ...(parameter["schema"] as Json), example: id.example }
    }
  }
}

const finishResponses = (responses: Record<string, Json>, facts: OperationFacts | undefined) => {
  const statuses = new Set(Object.keys(responses).map(Number))
  statuses.add(405).add(500)
  if (facts?.hasBody === true) statuses.add(413).add(415)
  else statuses.delete(415)
  // The key middleware declares 403 for every secured group; without required scopes no key lacks one.
  if (facts?.scopes.length === 0) statuses.delete(403)
  const finished: Record<string, Json> = {}
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const declared = responses[String(status)]
    finished[String(status)] = status < 400 ? declared! : { ...errorResponses[status] }
  }
  return finished
}

/** The tag of `{"data":[],"nextCursor":null}`, an empty page of products. */
const entityTagExample = '"SzVCkhAbFSBj4KPWpZjEb3EoT5v6Ha-c2SV8H9IwafY"'

/** The headers every answer of a conditional read carries, 304 included. */
const validatorHeaders = {
  ETag: {
    description: `The SHA-256 of the exact bytes of the JSON body, base64url, as a strong entity tag; a compressed answer's tag has the coding as a suffix (\`"<hash>-br"\`, \`"<hash>-gzip"\`). Send it back in \`If-None-Match\`.`,
    schema: { type: "string" },
    example: entityTagExample
  },
  Vary: {
    description: "The answer depends on `Accept-Encoding`.",
    schema: { type: "string", enum: [varyHeader] }
  },
  "Cache-Control": {
    description:
      "The body belongs to the tenant behind the key (no shared cache may keep it) and changes with every sync and with the time of the read: a stored copy is revalidated (`If-None-Match`) before each use.",
    schema: { type: "string", enum: [cacheControl] }
  }
}

const conditionalSentence = `Conditional and compressed: the answer carries an \`ETag\` (the SHA-256 of the JSON body's bytes; a compressed answer's tag ends in \`-br\` or \`-gzip\`); a request whose \`If-None-Match\` names it (or the uncompressed body's tag, or \`*\`; \`W/\` tags compare weakly) gets 304 with no body. Bodies over ${compressAbove} bytes are compressed with br or gzip as \`Accept-Encoding\` asks (q-values, \`*\`, \`identity;q=0\`); without the header, the body is sent as is. Errors carry no tag.`

const finishConditional = (operation: Json) => {
  const parameters = (operation["parameters"] ?? []) as Array<Json>
  parameters.push(
    {
      name: "If-None-Match",
      in: "header",
      required: false,
      description:
        "Entity tags of bodies already held (a list, or `*`): when one is the current body's, the answer is 304 with no body.",
      schema: { type: "string" },
      example: entityTagExample
    },
    {
      name: "Accept-Encoding",
      in: "header",
      required: false,
      description: `The codings accepted, with q-values: \`br\` and \`gzip\` are offered (brotli on a tie) for bodies over ${compressAbove} bytes, or any body when \`identity;q=0\`. Absent, empty, or nothing acceptable: no compression.`,
      schema: { type: "string" },
      example: "br, gzip;q=0.8"
    }
  )
  operation["parameters"] = parameters
  const responses = operation["responses"] as Record<string, Json>
  const ok = responses["200"]
  if (ok !== undefined) {
    ok["headers"] = {
      ...(ok["headers"] as Json | undefined),
      ...validatorHeaders,
      "Content-Encoding": {
        description: "`br` or `gzip` when the body is compressed; absent otherwise.",
        schema: { type: "string", enum: ["br", "gzip"] }
      }
    }
  }
  responses["304"] = {
    description:
      "Not modified: `If-None-Match` names the current body's tag (or `*`). No body; the `ETag` is the one a 200 would carry for this request's `Accept-Encoding`.",
    headers: { ...validatorHeaders, ...errorResponses[500]!.headers }
  }
  operation["description"] = `${String(operation["description"] ?? "")}\n\n${conditionalSentence}`.trim()
}

const finishOperation = (operation: Json, facts: OperationFacts | undefined) => {
  if (facts?.conditional === true) finishConditional(operation)
  const security = operation["security"]
  const isAdmin = Array.isArray(security) && security.some((s) => (s as Json)["adminKey"] !== undefined)
  if (isAdmin) {
    operation["description"] =
      `${String(operation["description"] ?? "")}\n\nNeeds an admin key (\`posa_...\`) in \`X-Api-Key\`, on any host.`.trim()
  } else if (facts !== undefined && Array.isArray(security) && security.length > 0) {
    // Scopes as the API key's roles (OpenAPI 3.1) and as OAuth scopes: one requirement per scope and
    // scheme, any one of them will do.
    operation["security"] =
      facts.scopes.length === 0
        ? [{ apiKey: [] }, { oauth2: [] }]
        : [...facts.scopes.map((s) => ({ apiKey: [s] })), ...facts.scopes.map((s) => ({ oauth2: [s] }))]
    operation["x-scopes"] = facts.scopes
    operation["description"] = `${String(operation["description"] ?? "")}\n\n${scopeSentence(facts.scopes)}`.trim()
  }
  if (facts !== undefined) finishParameters((operation["parameters"] ?? []) as Array<Json>, facts)
  operation["responses"] = finishResponses(operation["responses"] as Record<string, Json>, facts)
}

/** The redeem body is either a reward or points: exactly one, which a JSON Schema `oneOf` states. */
const redeemOneOf = (schemas: Record<string, Json>) => {
  const redeem = schemas["LoyaltyRedeem"]
  if (redeem === undefined) return
  const { rewardId, points, ...common } = redeem["properties"] as Record<string, Json>
  // The fields both forms require are the declared ones, so the branches follow RedeemPayload.
  const required = (redeem["required"] ?? []) as ReadonlyArray<string>
  const branch = (title: string, field: string, schema: Json) => ({
    type: "object",
    title,
    properties: { ...common, [field]: withoutNull(schema) },
    required: [...required, field],
    additionalProperties: false
  })
  schemas["LoyaltyRedeem"] = {
    description: redeem["description"],
    examples: redeem["examples"],
    oneOf: [branch("A reward", "rewardId", rewardId ?? {}), branch("Points", "points", points ?? {})]
  }
}

/** The document for a deployment: same operations everywhere, servers from its settings. */
export const openApiDocument = (settings: DocumentSettings): OpenApi.OpenAPISpec => {
  const spec = OpenApi.fromApi(Api)
  const facts = collectFacts()
  spec.info.version = packageJson.version
  spec.servers = servers(settings)
  for (const item of Object.values(spec.paths)) {
    for (const operation of Object.values(item as Record<string, Json>)) {
      finishOperation(operation, facts.get(String(operation["operationId"])))
    }
  }
  redeemOneOf(spec.components.schemas as Record<string, Json>)
  // What partner webhook endpoints receive (OpenAPI 3.1's `webhooks`).
  const events = webhooksSection()
  spec.components.schemas = { ...events.schemas, ...spec.components.schemas } as typeof spec.components.schemas
  ;(spec as unknown as { webhooks: Record<string, unknown> }).webhooks = events.webhooks
  spec.tags = [
    ...(spec.tags ?? []),
    {
      name: "Webhook events",
      description:
        "What partner webhook endpoints receive: one POST per event, signed by Standard Webhooks 1.0 (see Webhook endpoints)"
    }
  ]
  const schemes = spec.components.securitySchemes as Record<string, unknown>
  delete schemes["bearer"]
  schemes["oauth2"] = oauthScheme(settings.basePath)
  return spec
}
