import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  callService,
  closeConnections,
  eventually,
  type GatedPos,
  getOrder,
  onEveryRun,
  placeOrder,
  prepareShop,
  processStorages,
  type ServiceStorage,
  type Shop,
  startGatedPos
} from "../orders/fake-pos-process.ts"
import { forceStop, freePort, type ServiceProcess, startService, waitUntilReady } from "../process/service-process.ts"

// No partner webhook event lost when the service dies while delivering: the service is `npm start`
// in a child process, killed with SIGKILL while a receiver on loopback holds its deliveries
// unanswered, and started again on the same data. After the restart (and the dead process's leases
// running out), every event recorded is delivered, each with the webhook-id it carried before.

const settings = {
  WEBHOOK_ALLOW_LOOPBACK: "true",
  // A try's deadline of 1 s: its lease is 6 s (webhook-dispatch.ts).
  WEBHOOK_TIMEOUT_MS: "1000",
  WEBHOOK_RETRY_BASE_MS: "10",
  WEBHOOK_RETRY_MAX_MS: "100",
  WEBHOOK_SWEEP_MS: "1000",
  ORDER_RETRY_BASE_MS: "10",
  ORDER_RETRY_MAX_MS: "200",
  ORDER_SWEEP_MS: "1000",
  DEMO: "false",
  SHUTDOWN_GRACE_MS: "2000"
}

const storages = processStorages()

interface Receipt {
  readonly webhookId: string
  readonly type: string
  readonly answered: boolean
}

/** A partner's receiver: holds every request unanswered while `holding`, else answers 204. */
const startReceiver = async () => {
  const receipts: Array<Receipt> = []
  const held = new Set<ServerResponse>()
  let holding = true
  const server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk) => {
      body += chunk
    })
    request.on("end", () => {
      const receipt = {
        webhookId: String(request.headers["webhook-id"]),
        type: (JSON.parse(body) as { type: string }).type,
        answered: !holding
      }
      receipts.push(receipt)
      if (holding) {
        held.add(response)
        return
      }
      response.statusCode = 204
      response.end()
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    receipts,
    release: () => {
      holding = false
      for (const response of held) response.destroy()
      held.clear()
    },
    close: async () => {
      for (const response of held) response.destroy()
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  }
}

interface Run {
  readonly name: string
  readonly port: number
  readonly data: ServiceStorage
  readonly pos: GatedPos
  readonly shop: Shop
  readonly receiver: Awaited<ReturnType<typeof startReceiver>>
  current: ServiceProcess | undefined
}

const start = async (run: Run) => {
  run.current = startService({ PORT: String(run.port), HOST: "127.0.0.1", ...settings, ...run.data.env })
  await waitUntilReady(run.current)
}

interface DeliveryView {
  readonly eventId: string
  readonly eventType: string
  readonly state: string
  readonly attempts: ReadonlyArray<{ readonly statusCode: number | null }>
}

const killedWhileDelivering = async (run: Run) => {
  const created = await callService(run.port, run.shop, "POST", "/api/v1/webhook-endpoints", {
    url: run.receiver.url,
    eventTypes: ["order.created", "order.status_changed"]
  })
  expect(created.status).toBe(201)
  const endpointId = (JSON.parse(created.body) as { endpoint: { endpointId: string } }).endpoint.endpointId
  const orders = [
    await placeOrder(run.port, run.shop, "HOOK-CRASH-1"),
    await placeOrder(run.port, run.shop, "HOOK-CRASH-2")
  ]
  // Both orders reach the POS (SUBMITTED): four events, their deliveries under way and held.
  for (const order of orders) {
    await eventually(
      async () => ((await getOrder(run.port, run.shop, order.orderId)).status === "SUBMITTED" ? true : undefined),
      30_000,
      () => `${order.refCode} was not SUBMITTED (${run.name})`
    )
  }
  await eventually(
    async () => (run.receiver.receipts.length >= 1 ? true : undefined),
    30_000,
    () => `no delivery reached the receiver (${run.name})\n${run.current?.output().slice(-3000)}`
  )
  const service = run.current!
  await forceStop(service)
  expect(service.npm.signalCode).toBe("SIGKILL")
  const beforeKill = run.receiver.receipts.length
  expect(run.receiver.receipts.every((r) => !r.answered)).toBe(true)

  run.receiver.release()
  await start(run)
  const listed = await eventually(
    async () => {
      const answer = await callService(run.port, run.shop, "GET", `/api/v1/webhook-endpoints/${endpointId}/deliveries`)
      const deliveries = (JSON.parse(answer.body) as { data: ReadonlyArray<DeliveryView> }).data
      return deliveries.length === 4 && deliveries.every((d) => d.state === "delivered") ? deliveries : undefined
    },
    60_000,
    () => `the deliveries did not all end delivered (${run.name})\n${run.current?.output().slice(-3000)}`
  )
  expect(listed.map((d) => d.eventType).sort()).toEqual([
    "order.created",
    "order.created",
    "order.status_changed",
    "order.status_changed"
  ])
  // Every event was answered 2xx; what reached the receiver before the kill came again after it
  // with the same webhook-id, and nothing came that is not one of the four events.
  const events = new Set(listed.map((d) => d.eventId))
  const answered = run.receiver.receipts.filter((r) => r.answered)
  expect(new Set(answered.map((r) => r.webhookId))).toEqual(events)
  for (const early of run.receiver.receipts.slice(0, beforeKill)) {
    expect(events).toContain(early.webhookId)
    expect(answered.map((r) => r.webhookId)).toContain(early.webhookId)
  }
  for (const delivery of listed) expect(delivery.attempts.at(-1)?.statusCode).toBe(204)
}

describe("partner webhooks across a SIGKILL of the service, restarted on the same data", () => {
  const runs: Array<Run> = []
  const available = storages.filter((storage) => storage.available)
  const made: Array<() => Promise<void>> = []

  beforeAll(async () => {
    await Promise.all(
      available.map(async (storage) => {
        const data = await storage.make()
        made.push(data.cleanup)
        const pos = await startGatedPos()
        made.push(pos.close)
        const receiver = await startReceiver()
        made.push(receiver.close)
        const run: Run = {
          name: storage.name,
          port: await freePort(),
          data,
          pos,
          shop: await prepareShop(data, pos.credentials),
          receiver,
          current: undefined
        }
        made.push(() => forceStop(run.current))
        await start(run)
        runs.push(run)
      })
    )
  }, 120_000)

  afterAll(async () => {
    for (const release of made.reverse()) await release()
    closeConnections()
  })

  for (const storage of storages) {
    if (!storage.available) it.skip(`on ${storage.name} (SKIPPED: DATABASE_URL is not set)`, () => {})
  }

  it(
    `loses no event: each delivered after the restart with the webhook-id it had (${available.map((s) => s.name).join(", ")})`,
    () => onEveryRun(runs, killedWhileDelivering),
    120_000
  )
})
