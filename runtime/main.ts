import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { constTrue } from "effect/Function"
import { HttpMiddleware, HttpRouter } from "effect/http"
import { appServices } from "./app-layer.ts"
import { ensureDemoTenant, startDemoPos } from "./bootstrap.ts"
import { type AppSettings, appSettingsConfig } from "./config.ts"
import { reportStartupFailure } from "./failures.ts"
import { LocalAdminToken, loopbackHost, writeEndpointFile } from "./http/local-admin.ts"
import { HttpRoutes } from "./http/server.ts"
import { makeDrainingServer } from "./lifecycle/draining-server.ts"
import { CurrentReadiness, makeReadinessSwitch } from "./lifecycle/readiness.ts"
import { stopOnSignalTeardown } from "./lifecycle/teardown.ts"
import { startProcessMetrics } from "./observability/metrics.ts"
import { pullBackground } from "./pull/schedule-ticker.ts"
import { storageLayer } from "./storage.ts"

/**
 * The service's life, in order. Start: configuration, storage (the data directory's lock,
 * migrations), the demo tenant (its key printed) and its simulated POS, and only then the port, so
 * whoever waits for the port finds the key already printed and the demo outlets connected. Stop
 * (SIGTERM/SIGINT, interrupting this fiber): the scope's finalizers run in reverse, so /readyz turns
 * 503 and the server drains first, while storage is still open for the requests in flight; then the
 * simulated POS stops, pools and PGlite close and the lock is released.
 */
const service = (settings: AppSettings) =>
  Effect.gen(function* () {
    const readiness = makeReadinessSwitch()
    const localAdmin = LocalAdminToken.make()
    const services = yield* Layer.build(
      appServices(settings).pipe(
        Layer.provideMerge(storageLayer(settings)),
        Layer.provideMerge(Layer.succeed(CurrentReadiness, readiness)),
        Layer.provideMerge(Layer.succeed(LocalAdminToken, localAdmin))
      )
    )
    yield* Effect.gen(function* () {
      if (settings.demo) yield* ensureDemoTenant
      const { server, drain } = makeDrainingServer()
      // The demo's simulated POS, stopped after the server: its webhooks find this server's port once it listens.
      if (settings.demo) {
        yield* startDemoPos(settings, () => {
          const address = server.address()
          return typeof address === "object" && address !== null ? address.port : undefined
        })
      }
      yield* Layer.build(
        HttpRouter.serve(HttpRoutes, { disableLogger: true }).pipe(
          Layer.provide(
            NodeHttpServer.layer(() => server, {
              port: settings.port,
              ...(settings.host === undefined ? {} : { host: settings.host })
            })
          ),
          Layer.provide(Layer.succeedContext(services)),
          // The request pipeline starts each request's server span itself (runtime/http/request-pipeline.ts).
          Layer.provide(Layer.succeed(HttpMiddleware.TracerDisabledWhen, constTrue))
        )
      )
      // Added after the server's own finalizers, so it runs before them.
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          readiness.markDraining()
          if (settings.shutdownDelayMs > 0) {
            // Still serving, /readyz at 503: a balancer or probe sees it and routes elsewhere first.
            yield* Effect.logInfo("stopping: /readyz answers 503 before the port closes", {
              delayMs: settings.shutdownDelayMs
            })
            yield* Effect.sleep(settings.shutdownDelayMs)
          }
          yield* Effect.logInfo("stopping: draining requests in flight", { graceMs: settings.shutdownGraceMs })
          const outcome = yield* drain(settings.shutdownGraceMs)
          if (outcome.cut > 0) {
            yield* Effect.logWarning("grace period over: connections cut", { requests: outcome.cut })
          }
          yield* Effect.logInfo("HTTP server closed; closing storage", { elapsedMs: outcome.elapsedMs })
        })
      )
      // The admin CLI of this machine finds the service through the data directory (embedded storage).
      if (settings.storage === "pglite") {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : settings.port
        yield* writeEndpointFile(settings.dataDir, {
          url: `http://${loopbackHost(settings.host)}:${port}${settings.basePath}`,
          token: localAdmin.token,
          pid: process.pid
        })
      }
      // Jobs a stopped process left, retries and pull schedules; stopped first on shutdown.
      yield* Layer.build(pullBackground)
      readiness.markReady()
      // The event loop's delay is sampled from now on, for /metrics.
      yield* startProcessMetrics
      yield* Effect.logInfo("ready")
    }).pipe(Effect.provideContext(services))
    return yield* Effect.never
  }).pipe(Effect.scoped)

NodeRuntime.runMain(Effect.flatMap(appSettingsConfig, service).pipe(reportStartupFailure), {
  teardown: stopOnSignalTeardown
})
