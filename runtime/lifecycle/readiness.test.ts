import { Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { call, makeTestApp, type TestApp } from "../../test/support/app.ts"
import { HttpRoutes } from "../http/server.ts"
import { CurrentReadiness, makeReadinessSwitch } from "./readiness.ts"

const readiness = makeReadinessSwitch()
let app: TestApp
beforeAll(async () => {
  app = await makeTestApp(layerMemoryStorage, {
    routes: HttpRoutes.pipe(Layer.provide(Layer.succeed(CurrentReadiness, readiness)))
  })
})
afterAll(() => app.close())

const probe = async (path: string) => {
  const response = await call(app, path)
  return { status: response.status, requestId: response.headers.get("x-request-id"), body: await response.json() }
}

describe("/readyz through the process's life (/healthz unchanged)", () => {
  it("is 503 while starting, 200 once ready, 503 again from the stop signal on, and never ready again", async () => {
    expect(readiness.phase()).toBe("starting")
    expect(await probe("/readyz")).toEqual({
      status: 503,
      requestId: expect.any(String),
      body: { error: { code: 503, message: "temporarily unavailable", details: "the service is starting" } }
    })
    expect(await probe("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } })

    readiness.markReady()
    expect(await probe("/readyz")).toMatchObject({ status: 200, body: { status: "ready" } })

    readiness.markDraining()
    expect(await probe("/readyz")).toEqual({
      status: 503,
      requestId: expect.any(String),
      body: { error: { code: 503, message: "temporarily unavailable", details: "the service is shutting down" } }
    })
    expect(await probe("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } })

    readiness.markReady()
    expect(readiness.phase()).toBe("draining")
  })
})
