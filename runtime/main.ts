import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { appServices } from "./app-layer.ts"
import { ensureDemoTenant } from "./bootstrap.ts"
import { appSettingsConfig } from "./config.ts"
import { reportStartupFailure } from "./failures.ts"
import { answerClientErrors } from "./http/client-errors.ts"
import { HttpRoutes } from "./http/server.ts"
import { storageLayer } from "./storage.ts"

/** The service: configuration, storage, the demo tenant on first embedded start, then HTTP. */
const main = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* appSettingsConfig
    const services = appServices(settings).pipe(Layer.provideMerge(storageLayer(settings)))
    const demo = settings.demo ? Layer.effectDiscard(ensureDemoTenant) : Layer.empty
    const server = HttpRouter.serve(HttpRoutes, { disableLogger: true }).pipe(
      Layer.provide(NodeHttpServer.layer(() => answerClientErrors(createServer()), { port: settings.port }))
    )
    return Layer.mergeAll(server, demo).pipe(Layer.provide(services))
  })
)

NodeRuntime.runMain(Layer.launch(main).pipe(reportStartupFailure))
