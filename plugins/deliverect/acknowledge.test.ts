import type { SyncOutcome } from "@pos-integration/sdk"
import { Effect } from "effect"
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "effect/http"
import { describe, expect, it } from "vitest"
import plugin from "./index.ts"
import { callContext, failed, succeeded } from "./test-helpers.ts"

const callback = { url: "https://api.staging.deliverect.com/PosIntegration/menuStatus/649ea0c1d2e3f4a5b6b9a98d" }
const online: SyncOutcome = { status: "ONLINE", comment: "8 products, 2 menus" }

interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly json: unknown
}

/** A fake Deliverect answering every request with `status`, recording what it was sent. */
const fakeDeliverect = (status: number) => {
  const sent: Array<Sent> = []
  const http = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url) => {
    const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
    sent.push({ method: request.method, url: url.toString(), headers: { ...request.headers }, json: JSON.parse(text) })
    return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(status === 204 ? null : "{}", { status })))
  })
  return { http, sent }
}

describe("acknowledgeCatalog", () => {
  it("POSTs the outcome to the callback URL, through the context's HTTP client", async () => {
    const { http, sent } = fakeDeliverect(200)
    await succeeded(plugin.acknowledgeCatalog(callback, online, callContext(http)))
    expect(sent).toEqual([
      {
        method: "POST",
        url: callback.url,
        headers: expect.objectContaining({ "content-type": "application/json", accept: "application/json" }),
        json: { status: "ONLINE", comment: "8 products, 2 menus" }
      }
    ])
  })

  it("sends no credential to the callback: the outlet's client secret and webhook secret stay home", async () => {
    const { http, sent } = fakeDeliverect(200)
    await succeeded(plugin.acknowledgeCatalog(callback, online, callContext(http)))
    expect(Object.keys(sent[0]!.headers).map((name) => name.toLowerCase())).not.toContain("authorization")
    expect(JSON.stringify(sent)).not.toContain("s3cr3t-client-secret-for-tests")
  })

  it("needs no credentials: a callback for an outlet whose credentials are not set is answered", async () => {
    const { http, sent } = fakeDeliverect(200)
    await succeeded(plugin.acknowledgeCatalog(callback, online, callContext(http, { outlet: null, account: null })))
    expect(sent).toHaveLength(1)
  })

  it("sends FAILED with its comment", async () => {
    const { http, sent } = fakeDeliverect(204)
    await succeeded(
      plugin.acknowledgeCatalog(callback, { status: "FAILED", comment: "400: [0].price" }, callContext(http))
    )
    expect(sent[0]?.json).toEqual({ status: "FAILED", comment: "400: [0].price" })
  })

  it.each([400, 401, 404, 500, 503])("an HTTP %i answer is PosUnavailable", async (status) => {
    const { http } = fakeDeliverect(status)
    expect(await failed(plugin.acknowledgeCatalog(callback, online, callContext(http)))).toMatchObject({
      _tag: "PosUnavailable",
      reason: `menu status callback answered HTTP ${status}`
    })
  })

  it("a transport error is PosUnavailable", async () => {
    const http = HttpClient.make((request) =>
      Effect.fail(
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({ request, description: "connection refused" })
        })
      )
    )
    expect((await failed(plugin.acknowledgeCatalog(callback, online, callContext(http))))._tag).toBe("PosUnavailable")
  })

  it("a client that dies is PosUnavailable, not a defect", async () => {
    const http = HttpClient.make(() => Effect.die(new Error("socket exploded")))
    expect(await failed(plugin.acknowledgeCatalog(callback, online, callContext(http)))).toEqual(
      expect.objectContaining({ _tag: "PosUnavailable", reason: "menu status callback failed unexpectedly" })
    )
  })

  it("a callback URL that is no URL is PosUnavailable, not a defect", async () => {
    const { http } = fakeDeliverect(200)
    expect((await failed(plugin.acknowledgeCatalog({ url: "not a url" }, online, callContext(http))))._tag).toBe(
      "PosUnavailable"
    )
  })
})
