import { format } from "node:util"
import { Context, Effect, Layer } from "effect"
import { expect, vi } from "vitest"
import { ApiKeys } from "../../../application/ports/api-keys.ts"
import { KeySecrets } from "../../../application/ports/key-secrets.ts"
import { OAuthClients } from "../../../application/ports/oauth.ts"
import { TenantDirectory } from "../../../application/ports/tenant-directory.ts"
import { TenantStorage } from "../../../application/ports/tenant-storage.ts"
import { type ApiKeyRecord, formatApiKey, type KeyKind, presetScopes, type Scope } from "../../../domain/api-key.ts"
import { StorageError } from "../../../domain/errors.ts"
import { type TenantId, tenantSchemaName } from "../../../domain/tenant.ts"
import type { StorageServices } from "../../../runtime/app-layer.ts"
import type { AppSettings } from "../../../runtime/config.ts"
import { makeTestApp, type TestApp } from "../../support/app.ts"
import { TestRoutes } from "./echo-group.ts"

/** Builds a fresh storage adapter: each app gets its own, so suites can run on any adapter. */
export type MakeStorage = () => Layer.Layer<StorageServices, unknown>

/** SPEC section 3: every authentication failure answers exactly these bytes. */
export const invalidKeyBody =
  '{"error":{"code":401,"message":"invalid api key","details":"the provided X-Api-Key is invalid or expired"}}'

/** SPEC section 4: the request id a caller may choose. */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** SPEC section 5: date-times are answered in UTC with `Z` and milliseconds. */
export const rfc3339UtcMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

export const tenantId = (id: string) => id as TenantId

/** The service with the test API (product routes plus the echo and crash groups). */
export const startApp = (makeStorage: MakeStorage, settings: Partial<AppSettings> = {}) =>
  makeTestApp(makeStorage(), { settings, routes: TestRoutes })

export interface SendInit {
  readonly method?: string
  /** The Host header; undefined sends none. */
  readonly host?: string
  readonly key?: string
  readonly headers?: Record<string, string>
  readonly body?: string | Uint8Array | ReadableStream<Uint8Array>
}

/**
 * A request to the in-process app. Unlike `call`, the URL never carries the host, so any Host
 * header (malformed, upper-case, with a port, or none at all) reaches the service as given.
 */
export const send = (app: TestApp, path: string, init: SendInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers)
  if (init.host !== undefined) headers.set("host", init.host)
  if (init.key !== undefined) headers.set("x-api-key", init.key)
  const request = new Request(`http://in-process.invalid${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {})
  } as RequestInit)
  return app.handler(request)
}

export const jsonHeaders = { "content-type": "application/json" }

/** Asserts the SPEC section 4 envelope and returns it. */
export const expectEnvelope = async (response: Response, status: number, message?: string) => {
  const text = await response.text()
  expect({ status: response.status, text }).toMatchObject({ status })
  expect(response.headers.get("content-type")).toBe("application/json")
  expect(text.length).toBeGreaterThan(0)
  const length = response.headers.get("content-length")
  if (length !== null) expect(Number(length)).toBe(Buffer.byteLength(text))
  const body = JSON.parse(text) as { error: { code: number; message: string; details: string } }
  expect(Object.keys(body)).toEqual(["error"])
  expect(Object.keys(body.error).sort()).toEqual(["code", "details", "message"])
  expect(body.error.code).toBe(status)
  expect(typeof body.error.message).toBe("string")
  expect(typeof body.error.details).toBe("string")
  if (message !== undefined) expect(body.error.message).toBe(message)
  return { text, error: body.error, headers: response.headers }
}

/** Asserts the one invalid-key 401, byte for byte, and returns its headers. */
export const expectInvalidKey = async (response: Response) => {
  const text = await response.text()
  expect({ status: response.status, text }).toEqual({ status: 401, text: invalidKeyBody })
  expect(response.headers.get("content-type")).toBe("application/json")
  return response.headers
}

/** Response headers other than the per-request ones, for comparing two answers. */
export const stableHeaders = (headers: Headers) =>
  [...headers].filter(([name]) => name !== "x-request-id" && name !== "date")

/**
 * A request body that counts how much of it the service pulls. With a high-water mark of 0 nothing
 * is pulled until someone reads the body.
 */
export const trackedBody = (totalBytes: number, fill = " ") => {
  const state = { pulls: 0, bytes: 0 }
  const chunk = new TextEncoder().encode(fill.repeat(64 * 1024))
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls++
        if (state.bytes >= totalBytes) {
          controller.close()
          return
        }
        const next = chunk.subarray(0, Math.min(chunk.length, totalBytes - state.bytes))
        state.bytes += next.length
        controller.enqueue(next)
      }
    },
    { highWaterMark: 0 }
  )
  return { stream, state }
}

export const megabytes = (n: number) => n * 1024 * 1024

/** A syntactically valid key that no store issued. */
export const fakeKey = (keyId: number, secretChar = "Z") => `posk_${keyId}_${secretChar.repeat(40)}`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` holds or `withinMs` passes; answers how long it took, or undefined. */
export const eventually = async (withinMs: number, check: () => Promise<boolean>) => {
  const started = Date.now()
  while (Date.now() - started <= withinMs) {
    if (await check()) return Date.now() - started
    await sleep(20)
  }
  return (await check()) ? Date.now() - started : undefined
}

export { sleep }

// ---- Storage reached directly, behind the service's caches (adapter-agnostic: through the ports) ----

const directKeys = <A>(
  app: TestApp,
  tenant: string,
  use: (keys: ApiKeys["Service"], secrets: KeySecrets["Service"]) => Effect.Effect<A, StorageError>
) =>
  app.runtime.runPromise(
    Effect.gen(function* () {
      const directory = yield* TenantDirectory
      const storage = yield* TenantStorage
      const secrets = yield* KeySecrets
      const found = yield* directory.find(tenantId(tenant))
      if (found === undefined) return yield* Effect.die(new Error(`no tenant ${tenant}`))
      const context = yield* Layer.build(storage.open(found))
      return yield* use(Context.get(context, ApiKeys), secrets)
    }).pipe(Effect.scoped, Effect.orDie)
  )

/** Revokes a key in the tenant's own store, bypassing the service's key cache. */
export const revokeInStorage = (app: TestApp, tenant: string, keyId: number) =>
  directKeys(app, tenant, (keys) => keys.revoke(keyId, new Date()))

/** Writes a key straight into the store, so its fields (an `expiresAt` in the past) are not checked. */
export const insertKeyInStorage = (
  app: TestApp,
  tenant: string,
  input: { readonly kind: KeyKind; readonly expiresAt: Date | null; readonly scopes?: ReadonlyArray<Scope> }
): Promise<{ readonly record: ApiKeyRecord; readonly plaintext: string }> =>
  directKeys(app, tenant, (keys, secrets) =>
    Effect.gen(function* () {
      const secret = secrets.generate()
      const record = yield* keys.insert({
        name: `${input.kind} key (direct)`,
        kind: input.kind,
        scopes: input.scopes ?? presetScopes[input.kind],
        secretHash: secrets.hash(secret),
        expiresAt: input.expiresAt,
        createdAt: new Date(Date.now() - 60_000)
      })
      return { record, plaintext: formatApiKey(record.id, secret) }
    })
  )

/** A tenant that exists in the directory with status `suspended`. */
export const createSuspendedTenant = (app: TestApp, id: string) =>
  app.runtime.runPromise(
    Effect.gen(function* () {
      const directory = yield* TenantDirectory
      const storage = yield* TenantStorage
      const tenant = {
        id: tenantId(id),
        name: id,
        status: "suspended" as const,
        country: "SG",
        timezone: "Asia/Singapore",
        currency: "SGD",
        locator: { databaseUrl: null, schema: tenantSchemaName(tenantId(id)) },
        createdAt: new Date()
      }
      yield* storage.provision({
        ...tenant,
        loyaltyUrl: null,
        loyaltyCredential: null,
        taxInclusive: true,
        taxRatePpm: null,
        rateLimits: {}
      })
      return yield* directory.create(tenant)
    }).pipe(Effect.orDie)
  )

// ---- Faults injected into any storage adapter ----

export interface Faults {
  /** The tenant directory's lookups and ping fail. */
  directory: boolean
  /** Reading a tenant's API keys fails. */
  keys: boolean
  /** Reading a tenant's OAuth clients fails. */
  oauthClients?: boolean
}

/** The fake SQL and secret a storage failure carries: they may reach the log, never a response. */
export const storageFaultDetail = "SELECT secret_hash FROM api_keys WHERE id = $1 -- password=pg_FAKE_PASSWORD_77"

const fault = (operation: string) => new StorageError({ operation, cause: new Error(storageFaultDetail) })

/** Wraps a storage adapter so tests can switch its directory or key reads to failing. */
export const faultyStorage =
  (makeStorage: MakeStorage, faults: Faults): MakeStorage =>
  () =>
    Layer.effectContext(
      Effect.gen(function* () {
        const directory = yield* TenantDirectory
        const storage = yield* TenantStorage
        const faultyDirectory = TenantDirectory.of({
          ...directory,
          find: (id) => (faults.directory ? Effect.fail(fault("find tenant")) : directory.find(id)),
          ping: Effect.suspend(() => (faults.directory ? Effect.fail(fault("ping")) : directory.ping))
        })
        const faultyTenantStorage = TenantStorage.of({
          ...storage,
          open: (tenant) =>
            Layer.mergeAll(
              Layer.effect(
                ApiKeys,
                Effect.map(ApiKeys, (keys) =>
                  ApiKeys.of({
                    ...keys,
                    findById: (id) => (faults.keys ? Effect.fail(fault("find api key")) : keys.findById(id))
                  })
                )
              ),
              Layer.effect(
                OAuthClients,
                Effect.map(OAuthClients, (clients) =>
                  OAuthClients.of({
                    ...clients,
                    findById: (id) =>
                      faults.oauthClients === true ? Effect.fail(fault("find oauth client")) : clients.findById(id)
                  })
                )
              )
            ).pipe(Layer.provideMerge(storage.open(tenant)))
        })
        // Every service as the adapter gives it, but those wrapped here.
        return Context.add(yield* Effect.context<StorageServices>(), TenantDirectory, faultyDirectory).pipe(
          Context.add(TenantStorage, faultyTenantStorage)
        )
      })
    ).pipe(Layer.provide(makeStorage()))

// ---- Log capture ----

const consoleMethods = ["log", "error", "warn", "info", "debug", "trace", "dir", "group", "groupCollapsed"] as const

/** Captures everything written through `console` (where the service's loggers write) until restored. */
export const captureConsole = () => {
  const lines: Array<string> = []
  const spies = consoleMethods.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
      lines.push(format(...args))
    })
  )
  return {
    /** One entry per console call: a log line with its annotations and cause. */
    entries: (): ReadonlyArray<string> => [...lines],
    text: () => lines.join("\n"),
    restore: () => {
      for (const spy of spies) spy.mockRestore()
    }
  }
}

/**
 * The text with its last character changed, always to another one that differs in its high bits
 * ("x" 110001, else "A" 000000): the last character of unpadded base64 carries only its high bits.
 */
export const tampered = (text: string) => `${text.slice(0, -1)}${text.endsWith("x") ? "A" : "x"}`
