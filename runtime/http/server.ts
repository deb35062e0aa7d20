import { Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { consoleMethods, consoleRoutes } from "../console/routes.ts"
import { oauthMethods, oauthRoutes } from "../oauth/oauth-routes.ts"
import { metricsPath, metricsRoute } from "../observability/metrics-route.ts"
import { AdminHandlers } from "./admin-handlers.ts"
import { AdminOAuthHandlers } from "./admin-oauth-handlers.ts"
import { AdminWebhooksHandlers } from "./admin-webhooks-handlers.ts"
import { Api } from "./api.ts"
import { CatalogHandlers, ProvidersHandlers, SyncHandlers } from "./catalog-handlers.ts"
import { CustomersHandlers } from "./customers-handlers.ts"
import { AuthHandlers, SystemHandlers } from "./handlers.ts"
import { localCliPath, localCliRoute } from "./local-admin.ts"
import { LoyaltyHandlers } from "./loyalty-handlers.ts"
import { MenusHandlers } from "./menus-handlers.ts"
import { methodTable } from "./method-table.ts"
import { AdminAuthLive, ApiKeyAuthLive, RequireJsonLive, SchemaErrorsLive, TenancyLive } from "./middleware.ts"
import { openApiRoutes } from "./openapi-routes.ts"
import { OrdersHandlers } from "./orders-handlers.ts"
import { PullHandlers } from "./pull-handlers.ts"
import { requestPipeline } from "./request-pipeline.ts"
import { StrictInputLive } from "./strict-input.ts"
import { WebhookEndpointsHandlers } from "./webhook-endpoints-handlers.ts"
import { WebhooksHandlers } from "./webhooks-handlers.ts"

export const openApiPath = "/api/openapi.json"
export const docsPath = "/docs"

/** The API middleware every secured group uses. Needs AppConfig, TenantDatabases and KeySecrets. */
export const ApiMiddlewareLive = Layer.mergeAll(
  TenancyLive,
  ApiKeyAuthLive,
  AdminAuthLive,
  RequireJsonLive,
  StrictInputLive,
  SchemaErrorsLive
)

/** Every group's handlers: the tests serve the same list beside their own groups. */
export const ApiHandlers = Layer.mergeAll(
  SystemHandlers,
  AuthHandlers,
  ProvidersHandlers,
  SyncHandlers,
  PullHandlers,
  CatalogHandlers,
  CustomersHandlers,
  LoyaltyHandlers,
  MenusHandlers,
  OrdersHandlers,
  WebhooksHandlers,
  WebhookEndpointsHandlers,
  AdminHandlers,
  AdminOAuthHandlers,
  AdminWebhooksHandlers
)

/** All routes of the service, with the request pipeline around them. */
export const HttpRoutes = Layer.mergeAll(
  HttpApiBuilder.layer(Api),
  openApiRoutes({ document: openApiPath, docs: docsPath }),
  localCliRoute,
  consoleRoutes,
  oauthRoutes,
  metricsRoute,
  requestPipeline(
    methodTable(Api, [
      { method: "GET", path: openApiPath },
      { method: "GET", path: metricsPath },
      { method: "GET", path: docsPath },
      { method: "POST", path: localCliPath },
      ...consoleMethods,
      ...oauthMethods
    ])
  )
).pipe(Layer.provide(ApiHandlers), Layer.provide(ApiMiddlewareLive))
