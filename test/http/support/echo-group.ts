import { Effect, Layer, Option, Schema } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSwagger } from "effect/http-api"
import { StorageError } from "../../../domain/errors.ts"
import { Api } from "../../../runtime/http/api.ts"
import { secured, vendorFormat } from "../../../runtime/http/api-middleware.ts"
import { CurrentPrincipal, CurrentTenant, RequiredScopes } from "../../../runtime/http/context.ts"
import { methodTable } from "../../../runtime/http/method-table.ts"
import { requestPipeline } from "../../../runtime/http/request-pipeline.ts"
import { ApiHandlers, ApiMiddlewareLive } from "../../../runtime/http/server.ts"
import { oauthMethods, oauthRoutes } from "../../../runtime/oauth/oauth-routes.ts"
import { metricsPath, metricsRoute } from "../../../runtime/observability/metrics-route.ts"

/** A fake secret and a fake SQL statement carried by a defect: neither may ever reach a response body. */
export const defectSecret = "sk_live_FAKE_SECRET_do_not_leak_42"
export const defectSql = "SELECT secret_hash FROM api_keys WHERE id = 1"
export const defectMessage = `connection lost after ${defectSql} (password=${defectSecret})`

export const EchoPayload = Schema.Struct({ name: Schema.String, quantity: Schema.Int })

const EchoResult = Schema.Struct({
  tenantId: Schema.String,
  apiKeyId: Schema.Int,
  name: Schema.String,
  quantity: Schema.Int
})

/** The scope the echo endpoint needs: partner keys have it, pos and editor keys do not. */
export const echoScope = "orders:write"

/**
 * A test-only secured group with the same middleware as every product group (`secured`): tenant and
 * key (401), scope (403), content type (415), then body size (413) and validation (400).
 */
export const EchoGroup = secured(
  HttpApiGroup.make("echo")
    .add(
      HttpApiEndpoint.post("echo", "/test/echo", { payload: EchoPayload, success: EchoResult }).annotate(
        RequiredScopes,
        [echoScope]
      )
    )
    .add(
      HttpApiEndpoint.get("anyOf", "/test/any-of", { success: Schema.Struct({ ok: Schema.Boolean }) }).annotate(
        RequiredScopes,
        ["pos:sync", "products:read"]
      )
    )
    .add(HttpApiEndpoint.get("defect", "/test/defect", { success: Schema.Struct({ ok: Schema.Boolean }) }))
    .add(
      // A vendor's format (a POS webhook): query parameters we do not read are tolerated.
      vendorFormat(
        HttpApiEndpoint.get("vendor", "/test/vendor", {
          query: { known: Schema.optional(Schema.String) },
          success: Schema.Struct({ known: Schema.NullOr(Schema.String) })
        })
      )
    )
)

/** A test-only group outside tenancy and authentication whose handler dies. */
export const CrashGroup = HttpApiGroup.make("crash", { topLevel: true }).add(
  HttpApiEndpoint.get("crash", "/test/crash", { success: Schema.Struct({ ok: Schema.Boolean }) }),
  HttpApiEndpoint.get("storageCrash", "/test/crash/storage", {
    query: { kind: Schema.Literals(["unreachable", "broken"]) },
    success: Schema.Struct({ ok: Schema.Boolean })
  })
)

export const TestApi = Api.add(EchoGroup).add(CrashGroup)

const die = Effect.suspend(() => Effect.die(new Error(defectMessage)))

const EchoHandlers = HttpApiBuilder.group(TestApi, "echo", (handlers) =>
  handlers
    .handle("echo", ({ payload }) =>
      Effect.gen(function* () {
        const tenant = yield* CurrentTenant
        const principal = yield* CurrentPrincipal
        return {
          tenantId: tenant.id,
          apiKeyId: principal.scheme === "apiKey" ? principal.keyId : 0,
          name: payload.name,
          quantity: payload.quantity
        }
      })
    )
    .handle("anyOf", () => Effect.succeed({ ok: true }))
    .handle("defect", () => die)
    .handle("vendor", ({ query }) => Effect.succeed({ known: query.known ?? null }))
)

/** A handler whose storage fails: the database refusing connections, or a statement of ours it rejects. */
const storageDies = (kind: "unreachable" | "broken") =>
  Effect.die(
    new StorageError({
      operation: "read the test rows",
      cause:
        kind === "unreachable"
          ? Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:5432 ${storageCrashSecret}`), {
              code: "ECONNREFUSED"
            })
          : Object.assign(new Error(`syntax error at or near "SELEC" ${storageCrashSecret}`), { code: "42601" })
    })
  )

/** Text a storage failure carries that must reach the log only. */
export const storageCrashSecret = "password=pg_CRASH_SECRET_9"

const CrashHandlers = HttpApiBuilder.group(TestApi, "crash", (handlers) =>
  handlers.handle("crash", () => die).handle("storageCrash", ({ query }) => storageDies(query.kind))
)

export const openApiPath = "/api/openapi.json"
export const docsPath = "/docs"

/**
 * In-process web requests have no peer address. A request carrying this header is given it as its
 * remote address, so the TRUST_PROXY policies that look at the peer can be exercised.
 */
export const simulatedPeerHeader = "x-test-peer-address"

const SimulatedPeer = HttpRouter.middleware(
  (app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const peer = request.headers[simulatedPeerHeader]
      return peer === undefined
        ? app
        : Effect.provideService(
            app,
            HttpServerRequest.HttpServerRequest,
            request.modify({ remoteAddress: Option.some(peer) })
          )
    }),
  { global: true }
)

/** The test API served like runtime/http/server.ts serves the product's API. */
export const TestRoutes = Layer.mergeAll(
  HttpApiBuilder.layer(TestApi, { openapiPath: openApiPath }),
  HttpApiSwagger.layer(TestApi, { path: docsPath }),
  oauthRoutes,
  metricsRoute,
  requestPipeline(
    methodTable(TestApi, [
      { method: "GET", path: openApiPath },
      { method: "GET", path: docsPath },
      { method: "GET", path: metricsPath },
      ...oauthMethods
    ])
  ),
  SimulatedPeer
).pipe(Layer.provide([ApiHandlers, EchoHandlers, CrashHandlers]), Layer.provide(ApiMiddlewareLive))
