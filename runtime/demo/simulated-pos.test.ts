import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { testCallContext } from "@pos-integration/plugin-conformance"
import deliverect from "@pos-integration/plugin-deliverect"
import { makeWebhookRequest, type PosEvent, type PosOrder } from "@pos-integration/sdk"
import { Effect, Exit, Logger, Schema, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import {
  isSimulatorCredentials,
  SIMULATED_CHANNEL,
  type SimulatedPos,
  type SimulatedPosOptions,
  signWebhook,
  startSimulatedPos
} from "./simulated-pos.ts"

// The simulated POS against the Deliverect plugin itself: the plugin's calls are what it must
// take, and the plugin's webhook verification and decoding are what its webhooks must pass.

const link = { channelLinkId: "demo-tanjong-pagar", locationId: "demo-location-1" }
const otherLink = { channelLinkId: "demo-orchard", locationId: "demo-location-2" }
const webhookPath = "/base/api/v1/pos/deliverect/webhooks"

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

interface Received {
  readonly at: number
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** The service's webhook endpoint, as far as the simulator can tell: records each request, answers scripted statuses. */
const startReceiver = async () => {
  const received: Array<Received> = []
  const answers: Array<number> = []
  const server: Server = createServer((incoming, response) => {
    const chunks: Array<Buffer> = []
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
    incoming.on("end", () => {
      received.push({
        at: Date.now(),
        path: incoming.url ?? "",
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString("utf8")
      })
      response.writeHead(answers.shift() ?? 200, { "content-type": "application/json" })
      response.end("{}")
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    received,
    answers,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      })
  }
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>

/** What the simulators logged, level and message, instead of the test's output. */
const logs: Array<string> = []
const collected = Logger.layer([
  Logger.make(({ logLevel, message }) => {
    logs.push(`${logLevel} ${JSON.stringify(message)}`)
  })
])

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  logs.length = 0
})

const start = async (receiver: Receiver | null, options: Partial<SimulatedPosOptions> = {}) => {
  const scope = await Effect.runPromise(Scope.make())
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  cleanups.push(close)
  const pos = await Effect.runPromise(
    Scope.provide(scope)(
      startSimulatedPos({
        channelLinks: [link, otherLink],
        webhookTarget: () =>
          receiver === null
            ? undefined
            : { address: "127.0.0.1", port: receiver.port, path: webhookPath, host: `demo.localhost:${receiver.port}` },
        schedule: [
          { afterMs: 100, status: 20 },
          { afterMs: 250, status: 50 },
          { afterMs: 400, status: 70 }
        ],
        retryDelayMs: 50,
        ...options
      })
    ).pipe(Effect.provide(collected))
  )
  return { pos, close }
}

const order = (refCode: string): PosOrder => ({
  refCode,
  displayId: "A-7",
  outletExternalId: link.channelLinkId,
  placedAt: "2026-03-15T14:00:00.000Z",
  fulfilment: { type: "PICKUP", asap: true, scheduledFor: null, table: null, address: null },
  customer: { name: "Mei Ling", phone: "+6591234567", email: null },
  lines: [
    {
      posCode: "LAKSA",
      name: "Laksa",
      quantity: 2,
      unitPrice: 1250,
      note: null,
      modifiers: [{ posCode: "SPICE-2", name: "Medium", quantity: 1, unitPrice: 0, modifiers: [] }],
      discounts: [],
      tax: { ratePpm: 90000, amount: 206 },
      total: 2500
    }
  ],
  charges: [],
  discounts: [],
  pricing: "POS",
  taxInclusive: true,
  currency: "SGD",
  totals: {
    subtotal: 2500,
    deliveryFee: 0,
    serviceCharge: 0,
    packaging: 0,
    tip: 0,
    discount: 0,
    tax: 206,
    total: 2500
  },
  payment: { status: "PAID", amount: 2500, method: "card", reference: null },
  notes: null
})

const contextFor = (pos: SimulatedPos, channelLinkId = link.channelLinkId, credentials = pos.credentials) =>
  testCallContext({
    // Deliverect has no account level: its type is never, its value null.
    credentials: { outlet: credentials, account: null as never },
    outlet: { externalId: channelLinkId, identifiers: { channelLinkId } }
  })

const submit = (
  pos: SimulatedPos,
  refCode: string,
  channelLinkId?: string,
  credentials?: SimulatedPos["credentials"]
) =>
  Effect.runPromise(Effect.result(deliverect.submitOrder(order(refCode), contextFor(pos, channelLinkId, credentials))))

const asRequest = (received: Received) =>
  makeWebhookRequest({
    url: `http://demo.localhost${received.path}`,
    headers: received.headers as Record<string, string>,
    body: received.body
  })

/** The plugin's verification of a webhook with the outlet's credentials. */
const verify = (pos: SimulatedPos, received: Received) =>
  Effect.runPromise(
    Effect.result(deliverect.verifyWebhook(asRequest(received), { outlet: pos.credentials, account: null as never }))
  )

/** A webhook as the service reads it: verified by the plugin, then decoded. */
const read = async (pos: SimulatedPos, received: Received): Promise<ReadonlyArray<PosEvent>> => {
  expect(await verify(pos, received)).toMatchObject({ _tag: "Success" })
  return Effect.runPromise(deliverect.decodeWebhook(asRequest(received)))
}

const until = async (check: () => boolean, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out")
    await sleep(10)
  }
}

/** One raw request to the simulator (what the plugin never sends). */
const raw = (url: string, path: string, body: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((done, fail) => {
    const target = new URL(url)
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: "POST",
        path,
        headers: { "content-type": "application/json", ...headers }
      },
      (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => {
          text += chunk
        })
        response.on("end", () => done({ status: response.statusCode ?? 0, body: text }))
      }
    )
    outgoing.on("error", fail)
    outgoing.end(body)
  })

describe("the demo's simulated POS", () => {
  it("takes the plugin's order, then reports ACCEPTED, PREPARING and READY in signed webhooks the plugin verifies", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const { pos } = await start(receiver)
    expect(pos.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const takenAt = Date.now()
    const result = await submit(pos, "DEMO-1")
    expect(result).toMatchObject({ _tag: "Success", success: { posOrderId: null, duplicate: false } })

    await until(() => receiver.received.length === 3)
    const statuses = []
    for (const webhook of receiver.received) {
      expect(webhook.path).toBe(webhookPath)
      expect(webhook.headers["host"]).toBe(`demo.localhost:${receiver.port}`)
      expect(webhook.headers["x-deliverect-signature"]).toBe(signWebhook(pos.credentials.webhookSecret, webhook.body))
      const [event] = await read(pos, webhook)
      expect(event).toMatchObject({ _tag: "OrderStatusChanged", refCode: "DEMO-1", reason: null })
      statuses.push(event?._tag === "OrderStatusChanged" ? [event.status, event.vendorStatus] : null)
      expect(JSON.parse(webhook.body)).toMatchObject({
        channelOrderId: "DEMO-1",
        channelLink: link.channelLinkId,
        location: link.locationId,
        orderId: expect.stringMatching(/^[0-9a-f]{24}$/),
        timeStamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      })
    }
    expect(statuses).toEqual([
      ["ACCEPTED", "20"],
      ["PREPARING", "50"],
      ["READY", "70"]
    ])
    // On the schedule, measured from the order.
    expect(receiver.received[0]!.at - takenAt).toBeGreaterThanOrEqual(90)
    expect(receiver.received[2]!.at - takenAt).toBeGreaterThanOrEqual(390)
    // One Deliverect order id throughout.
    expect(new Set(receiver.received.map((w) => JSON.parse(w.body).orderId)).size).toBe(1)
  })

  it("a body changed after signing does not verify with the outlet's secret", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const { pos } = await start(receiver, { schedule: [{ afterMs: 0, status: 20 }] })
    await submit(pos, "DEMO-TAMPER")
    await until(() => receiver.received.length === 1)
    const webhook = receiver.received[0]!
    const tampered = { ...webhook, body: webhook.body.replace('"status":20', '"status":110') }
    expect(tampered.body).not.toBe(webhook.body)
    const refused = { _tag: "Failure", failure: { _tag: "WebhookRejected", reason: "signature mismatch" } }
    expect(await verify(pos, tampered)).toMatchObject(refused)
    expect(
      await verify({ ...pos, credentials: { ...pos.credentials, webhookSecret: "another" } }, webhook)
    ).toMatchObject(refused)
    expect((await read(pos, webhook))[0]).toMatchObject({ status: "ACCEPTED" })
  })

  it("takes the same channelOrderId again as Deliverect does (201) and reports nothing more", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const { pos } = await start(receiver, { schedule: [{ afterMs: 50, status: 20 }] })
    expect(await submit(pos, "DEMO-DUP")).toMatchObject({ _tag: "Success" })
    expect(await submit(pos, "DEMO-DUP")).toMatchObject({ _tag: "Success" })
    // The same refCode at another channel link is another order.
    expect(await submit(pos, "DEMO-DUP", otherLink.channelLinkId)).toMatchObject({ _tag: "Success" })
    await until(() => receiver.received.length >= 2)
    await sleep(200)
    expect(receiver.received.map((w) => JSON.parse(w.body).channelLink).sort()).toEqual([
      otherLink.channelLinkId,
      link.channelLinkId
    ])
  })

  it("answers a cancellation with CANCELED and stops the rest of the schedule", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const { pos } = await start(receiver, {
      schedule: [
        { afterMs: 50, status: 20 },
        { afterMs: 600, status: 50 }
      ],
      cancelAfterMs: 100
    })
    await submit(pos, "DEMO-CANCEL")
    await until(() => receiver.received.length === 1)
    const context = contextFor(pos)
    await Effect.runPromise(
      deliverect.cancelOrder({ refCode: "DEMO-CANCEL", posOrderId: null, reason: "out of laksa" }, context)
    )
    // Twice is harmless: one CANCELED.
    await Effect.runPromise(deliverect.cancelOrder({ refCode: "DEMO-CANCEL", posOrderId: null, reason: null }, context))
    await until(() => receiver.received.length === 2)
    const [event] = await read(pos, receiver.received[1]!)
    expect(event).toMatchObject({
      _tag: "OrderStatusChanged",
      refCode: "DEMO-CANCEL",
      status: "CANCELLED",
      vendorStatus: "110",
      reason: "out of laksa"
    })
    // PREPARING was due 600 ms after the order: it never comes.
    await sleep(800)
    expect(receiver.received).toHaveLength(2)
  })

  it("refuses to cancel an order it never took: the plugin reads a refusal", async () => {
    const { pos } = await start(null)
    const result = await Effect.runPromise(
      Effect.result(deliverect.cancelOrder({ refCode: "NEVER-SENT", posOrderId: null, reason: null }, contextFor(pos)))
    )
    expect(result).toMatchObject({ _tag: "Failure", failure: { _tag: "PosRejected", status: 400 } })
    expect(JSON.stringify(result)).toContain("No order with this channelOrderId")
  })

  it("refuses wrong client credentials, another channel and a channel link it does not serve, as Deliverect does", async () => {
    const { pos } = await start(null)
    const wrongSecret = await submit(pos, "DEMO-X", undefined, { ...pos.credentials, clientSecret: "guessed" })
    expect(wrongSecret).toMatchObject({ _tag: "Failure", failure: { _tag: "MissingCredentials" } })
    expect(JSON.stringify(wrongSecret)).toContain("refused the channel's client credentials (HTTP 401")
    expect(JSON.stringify(wrongSecret)).not.toContain(pos.credentials.clientSecret)

    const otherChannel = await submit(pos, "DEMO-X", undefined, { ...pos.credentials, channelName: "Other" })
    expect(otherChannel).toMatchObject({ _tag: "Failure", failure: { _tag: "MissingCredentials" } })
    expect(JSON.stringify(otherChannel)).toContain("you're not allowed to send in orders")

    const unknownLink = await submit(pos, "DEMO-X", "not-a-demo-outlet")
    expect(unknownLink).toMatchObject({ _tag: "Failure", failure: { _tag: "MissingCredentials" } })
  })

  it("refuses a request without its token, with an unknown token, and an order missing its fields", async () => {
    const { pos } = await start(null)
    const path = `/${SIMULATED_CHANNEL}/order/${link.channelLinkId}`
    const noToken = await raw(pos.url, path, JSON.stringify({ channelOrderId: "X" }))
    expect(noToken.status).toBe(401)
    expect(JSON.parse(noToken.body)).toEqual({ code: "token_expired", description: "token is expired" })
    const unknown = await raw(pos.url, path, "{}", { authorization: "Bearer made-up" })
    expect(unknown.status).toBe(401)

    const tokenAnswer = await raw(
      pos.url,
      "/oauth/token",
      JSON.stringify({
        client_id: pos.credentials.clientId,
        client_secret: pos.credentials.clientSecret,
        audience: pos.url,
        grant_type: "client_credentials"
      })
    )
    expect(tokenAnswer.status).toBe(200)
    const token = JSON.parse(tokenAnswer.body) as Record<string, unknown>
    expect(token).toMatchObject({
      token_type: "Bearer",
      expires_in: 86_400,
      scope: `genericChannel:${SIMULATED_CHANNEL}`
    })
    const bearer = { authorization: `Bearer ${token["access_token"]}` }

    const empty = await raw(pos.url, path, JSON.stringify({ channelOrderId: "X", items: [] }), bearer)
    expect(empty.status).toBe(400)
    expect(JSON.parse(empty.body)).toEqual({
      orderFieldsErrors: {
        channelOrderDisplayId: "Missing from the payload.",
        items: "Missing from the payload.",
        decimalDigits: "Missing from the payload.",
        orderType: "Missing from the payload.",
        courier: "Missing from the payload."
      },
      orderPaymentErrors: { amount: "Missing from the payload.", type: "Missing from the payload." }
    })
    const notJson = await raw(pos.url, path, "{not json", bearer)
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.body)).toEqual({ orderFieldsErrors: { order: "Invalid JSON payload." } })
    // A channel link whose percent-encoding is malformed names none; the server goes on answering.
    const malformed = await raw(pos.url, `/${SIMULATED_CHANNEL}/order/%E0%A4%A`, "{}", bearer)
    expect(malformed.status).toBe(401)
    expect(JSON.parse(malformed.body)).toEqual({
      code: "Authorization error",
      description: "you're not allowed to send in orders"
    })
    expect((await raw(pos.url, path, "x".repeat(1024 * 1024 + 1), bearer)).status).toBe(413)
    expect((await raw(pos.url, "/elsewhere", "{}", bearer)).status).toBe(404)
    expect((await raw(pos.url, "/oauth/token", "{}")).status).toBe(401)
  })

  it("sends a webhook again while the service answers 5xx or is not listening, and gives up on a 4xx", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    let asked = 0
    const { pos } = await start(null, {
      schedule: [
        { afterMs: 0, status: 20 },
        { afterMs: 300, status: 50 }
      ],
      webhookTries: 4,
      // Not listening yet when first asked.
      webhookTarget: () =>
        ++asked === 1
          ? undefined
          : { address: "127.0.0.1", port: receiver.port, path: webhookPath, host: "demo.localhost" }
    })
    receiver.answers.push(503, 500)
    await submit(pos, "DEMO-RETRY")
    // Not listening for the first try, then 503 and 500, then taken: the fourth try.
    await until(() => receiver.received.length === 3)
    expect(receiver.received.map((w) => JSON.parse(w.body).status)).toEqual([20, 20, 20])
    // A 4xx for PREPARING: not sent again.
    receiver.answers.push(401)
    await until(() => receiver.received.length === 4)
    await sleep(300)
    expect(receiver.received.map((w) => JSON.parse(w.body).status)).toEqual([20, 20, 20, 50])
    expect(logs.filter((line) => line.startsWith("Warn"))).toEqual([
      'Warn ["demo POS: the service refused an order status webhook",{"refCode":"DEMO-RETRY","status":50,"httpStatus":401}]'
    ])
  })

  it("stops its webhooks and its port when its scope closes", async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const { pos, close } = await start(receiver, { schedule: [{ afterMs: 300, status: 20 }] })
    await submit(pos, "DEMO-STOP")
    await close()
    await sleep(500)
    expect(receiver.received).toHaveLength(0)
    await expect(raw(pos.url, "/oauth/token", "{}")).rejects.toThrow()
  })

  it("draws new secrets at each start", async () => {
    const first = (await start(null)).pos
    const second = (await start(null)).pos
    expect(second.url).not.toBe(first.url)
    expect(second.credentials.clientSecret).not.toBe(first.credentials.clientSecret)
    expect(second.credentials.webhookSecret).not.toBe(first.credentials.webhookSecret)
    // The plugin's schema takes them as they are.
    expect(Schema.decodeUnknownSync(deliverect.credentials.outlet)(second.credentials)).toEqual(second.credentials)
  })
})

describe("isSimulatorCredentials", () => {
  const ours = { baseUrl: "http://127.0.0.1:41895", channelName: SIMULATED_CHANNEL, clientId: "demo-channel" }
  it("recognises the simulator's credentials, of any start", () => {
    expect(isSimulatorCredentials({ ...ours, clientSecret: "x", webhookSecret: "y" })).toBe(true)
    expect(isSimulatorCredentials({ ...ours, baseUrl: "http://127.0.0.1:1/" })).toBe(true)
  })
  it.each([
    ["a real Deliverect", { ...ours, baseUrl: "https://api.staging.deliverect.com" }],
    ["another channel", { ...ours, channelName: "PosIntegration" }],
    ["another client", { ...ours, clientId: "pos-integration-staging" }],
    ["a server elsewhere", { ...ours, baseUrl: "http://10.0.0.7:8080" }],
    ["a loopback with a path", { ...ours, baseUrl: "http://127.0.0.1:8080/deliverect" }],
    ["no object", "DemoChannel"],
    ["null", null]
  ])("not %s", (_, value) => {
    expect(isSimulatorCredentials(value)).toBe(false)
  })
})
