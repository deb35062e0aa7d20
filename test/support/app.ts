import { Effect, Layer, ManagedRuntime } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { type IssueKeyInput, issueApiKey } from "../../application/auth/issue-key.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import { type CreateTenantInput, createTenant } from "../../application/tenants/create-tenant.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { appServices, type StorageServices } from "../../runtime/app-layer.ts"
import { AppConfig, type AppSettings } from "../../runtime/config.ts"
import { HttpRoutes } from "../../runtime/http/server.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>

/**
 * An in-process instance of the service over a storage layer: `handler` takes a web Request, and
 * the helpers create tenants and keys through the application's own use cases.
 */
export const makeTestApp = async (
  storage: Layer.Layer<StorageServices, unknown>,
  options: { readonly settings?: Partial<AppSettings>; readonly routes?: Layer.Layer<never, unknown, unknown> } = {}
) => {
  const settings = AppConfig.make({ logLevel: "error", ...options.settings })
  const runtime = ManagedRuntime.make(appServices(settings).pipe(Layer.provideMerge(storage), Layer.orDie))
  const context = await runtime.context()
  const routes = (options.routes ?? HttpRoutes) as Layer.Layer<never, never, never>
  const { handler, dispose } = HttpRouter.toWebHandler(
    routes.pipe(Layer.provide(Layer.succeedContext(context)), Layer.provide(HttpServer.layerServices)),
    { disableLogger: true }
  )
  const createTenantNow = (input: CreateTenantInput) => runtime.runPromise(Effect.orDie(createTenant(input)))
  const issueKey = (tenant: TenantId, input: IssueKeyInput) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const repositories = yield* databases.repositories(tenant)
        return yield* issueApiKey(input).pipe(Effect.provideContext(repositories))
      }).pipe(Effect.scoped, Effect.orDie)
    )
  const revokeKey = (tenant: TenantId, keyId: number, at = new Date()) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const repositories = yield* databases.repositories(tenant)
        return yield* Effect.flatMap(ApiKeys, (keys) => keys.revoke(keyId, at)).pipe(
          Effect.provideContext(repositories)
        )
      }).pipe(Effect.scoped, Effect.orDie)
    )
  /** Runs an effect on a tenant's repositories (set up rewards, inspect stored rows). */
  const inTenant = <A, E>(tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        return yield* Effect.provideContext(effect, yield* databases.repositories(tenant))
      }).pipe(Effect.scoped, Effect.orDie)
    )
  const close = async () => {
    await dispose()
    await runtime.dispose()
  }
  return { handler, settings, runtime, createTenant: createTenantNow, issueKey, revokeKey, inTenant, close }
}

/** A request to the in-process app for a tenant's host (`undefined` host: none). */
export const call = (
  app: TestApp,
  path: string,
  init: {
    method?: string
    host?: string
    key?: string
    headers?: Record<string, string>
    body?: string | Uint8Array
  } = {}
) => {
  const headers = new Headers(init.headers)
  if (init.host !== undefined) headers.set("host", init.host)
  if (init.key !== undefined) headers.set("x-api-key", init.key)
  return app.handler(
    new Request(`http://${init.host ?? "localhost"}${path}`, {
      method: init.method ?? "GET",
      headers,
      ...(init.body === undefined ? {} : { body: init.body })
    })
  )
}
