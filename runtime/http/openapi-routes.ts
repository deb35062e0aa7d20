import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiSwagger, OpenApi } from "effect/http-api"
import { AppConfig } from "../config.ts"
import { Api } from "./api.ts"
import { openApiDocument } from "./openapi-document.ts"

/**
 * The OpenAPI document and the interactive documentation of the same document. Built once at start
 * (the servers depend on BASE_PATH and BASE_DOMAIN), not per request.
 */
export const openApiRoutes = (paths: { readonly document: `/${string}`; readonly docs: `/${string}` }) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const document = openApiDocument(yield* AppConfig)
      const body = JSON.stringify(document)
      return Layer.mergeAll(
        HttpRouter.add(
          "GET",
          paths.document,
          Effect.sync(() => HttpServerResponse.text(body, { contentType: "application/json" }))
        ),
        // The Swagger page renders whatever document the Api yields: the finished one, not the raw one.
        HttpApiSwagger.layer(
          Api.annotate(OpenApi.Transform, () => document),
          { path: paths.docs }
        )
      )
    })
  )
