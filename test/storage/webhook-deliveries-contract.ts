import { Effect, type Layer } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { SyncHistory, type SyncRecord } from "../../application/ports/catalog.ts"
import { Orders, type StatusChange } from "../../application/ports/orders.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { WebhookDeliveries, type WebhookFinish } from "../../application/ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import type { Order, OrderStatus } from "../../domain/order.ts"
import { canMove } from "../../domain/order-status.ts"
import type { TenantId } from "../../domain/tenant.ts"
import {
  keyOwner,
  type NewWebhookEndpoint,
  type WebhookEventType,
  type WebhookOwner,
  webhookEventTypes
} from "../../domain/webhook-endpoint.ts"
import { orderEvents, syncFinished, type WebhookDeliveryAttempt } from "../../domain/webhook-event.ts"
import { storageHelpers } from "./contract.ts"
import { orderFixture } from "./orders-contract.ts"

type Storage = TenantDirectory | TenantStorage

const t0 = Date.UTC(2026, 6, 1, 12, 0, 0, 5)
const at = (ms: number) => new Date(t0 + ms)

const endpointId = (n: number) => `whe_${n.toString(16).padStart(32, "0")}`

const endpoint = (
  n: number,
  owner: WebhookOwner,
  eventTypes: ReadonlyArray<WebhookEventType> = []
): NewWebhookEndpoint => ({
  id: endpointId(n),
  owners: [owner],
  url: `https://partner${n}.example/hooks`,
  eventTypes,
  description: "",
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  createdAt: at(0)
})

const change = (to: OrderStatus | null, ms: number, reason: string | null = null): StatusChange => ({
  to,
  source: "pos",
  vendorStatus: null,
  reason,
  at: at(ms)
})

const attempt = (n: number, ms: number, statusCode: number | null, error: string | null): WebhookDeliveryAttempt => ({
  attempt: n,
  startedAt: at(ms),
  latencyMs: 12,
  statusCode,
  error
})

/** What an order's events say of it, as domain/webhook-event.ts `orderEvents` builds them. */
const facts = (order: Order, status: OrderStatus, posOrderId: string | null = null) => ({
  orderId: order.orderId,
  refCode: order.refCode,
  outletId: order.outletId,
  status,
  posOrderId,
  currency: order.priced.currency,
  total: order.priced.totals.total
})

const claimAll = (owner: string, ms: number, perEndpoint = 100) =>
  Effect.flatMap(WebhookDeliveries, (d) =>
    d.claim({ now: at(ms), owner, leaseUntil: at(ms + 60_000), limit: 1000, perEndpoint })
  )

/**
 * The deliveries of partner webhook events: the fan-out an order's change records in its own
 * transaction (owner, event types, enabled endpoints, per-endpoint sequence numbers), claims with
 * leases and a per-endpoint share, the finish of a try, the endpoint disabled after a day of
 * failures, the listing and redelivery. Every adapter passes it, against a simple model too.
 */
export const webhookDeliveriesContract = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>) =>
  describe(`webhook deliveries contract: ${name}`, () => {
    const { inTenant, newTenant } = storageHelpers(name, makeLayer)
    const run = <A, E>(tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) => inTenant(tenant, effect)
    const addEndpoints = (tenant: TenantId, inputs: ReadonlyArray<NewWebhookEndpoint>) =>
      run(
        tenant,
        Effect.flatMap(WebhookEndpoints, (s) => Effect.forEach(inputs, (input) => s.insert(input)))
      )

    it("records an order's events for the endpoints of the key that placed it, each with its data and sequence", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [
        endpoint(1, owner),
        endpoint(2, keyOwner(2)),
        endpoint(3, owner, ["order.status_changed"]),
        endpoint(4, owner, ["order.rejected", "order.failed"])
      ])
      const order = orderFixture("w1", { createdAt: at(10), updatedAt: at(10) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(order, "obx_w1", owner))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, { ...change("SUBMITTED", 20), posOrderId: "P-9" }))
      )
      // What changes nothing raises nothing: the same status, a refused move, an entry with no status.
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, change("SUBMITTED", 25)))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, change("RECEIVED", 26)))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, change(null, 27, "vendor said 'x'")))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, change("REJECTED", 30, "out of oat milk")))
      )

      const claimed = await run(tenant, claimAll("w-1", 40))
      const seen = claimed.map((c) => [c.endpointId, c.sequence, c.eventType, c.data, c.occurredAt.toISOString()])
      const created = orderEvents(facts(order, "RECEIVED"), null)[0]!
      const submitted = orderEvents(facts(order, "SUBMITTED", "P-9"), {
        from: "RECEIVED",
        to: "SUBMITTED",
        reason: null,
        source: "pos"
      })
      const rejected = orderEvents(facts(order, "REJECTED", "P-9"), {
        from: "SUBMITTED",
        to: "REJECTED",
        reason: "out of oat milk",
        source: "pos"
      })
      expect(rejected.map((e) => e.type)).toEqual(["order.status_changed", "order.rejected"])
      expect(seen).toEqual([
        [endpointId(1), 1, "order.created", created.data, at(10).toISOString()],
        [endpointId(1), 2, "order.status_changed", submitted[0]!.data, at(20).toISOString()],
        [endpointId(1), 3, "order.status_changed", rejected[0]!.data, at(30).toISOString()],
        [endpointId(1), 4, "order.rejected", rejected[1]!.data, at(30).toISOString()],
        [endpointId(3), 1, "order.status_changed", submitted[0]!.data, at(20).toISOString()],
        [endpointId(3), 2, "order.status_changed", rejected[0]!.data, at(30).toISOString()],
        [endpointId(4), 1, "order.rejected", rejected[1]!.data, at(30).toISOString()]
      ])
      // One event, one id, whichever endpoint hears it; every delivery counted one try, leased to its claimer.
      const byType = new Map<string, Set<string>>()
      for (const c of claimed)
        byType.set(
          `${c.eventType}@${c.occurredAt.getTime()}`,
          (byType.get(`${c.eventType}@${c.occurredAt.getTime()}`) ?? new Set()).add(c.eventId)
        )
      for (const ids of byType.values()) expect(ids.size).toBe(1)
      expect(new Set(claimed.map((c) => c.eventId)).size).toBe(4)
      for (const c of claimed) {
        expect(c.eventId).toMatch(/^evt_[0-9a-f]{32}$/)
        expect(c.id).toMatch(/^whd_[0-9a-f]{32}$/)
        expect(c.attempts).toBe(1)
        expect(c.tryingSince).toEqual(c.occurredAt)
        expect(c.leaseUntil).toEqual(at(60_040))
      }
    })

    it("raises nothing for an order nobody's endpoint placed, a disabled endpoint, or a change that failed", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner), endpoint(2, owner)])
      await run(
        tenant,
        Effect.flatMap(WebhookEndpoints, (s) =>
          s.update(endpointId(2), { enabled: false, disabledReason: "paused" }, at(1))
        )
      )
      const anonymous = orderFixture("w2", { createdAt: at(10), updatedAt: at(10) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(anonymous, "obx_w2"))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(anonymous.orderId, change("SUBMITTED", 20)))
      )
      const mine = orderFixture("w3", { createdAt: at(30), updatedAt: at(30) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(mine, "obx_w3", owner))
      )
      // A placement that fails (the order id taken) rolls back with its events.
      const clash = orderFixture("w3", { refCode: "OTHER-REF", createdAt: at(40), updatedAt: at(40) })
      const failed = await run(tenant, Effect.flip(Effect.flatMap(Orders, (o) => o.place(clash, "obx_w4", owner))))
      expect(failed._tag).toBe("StorageError")
      const claimed = await run(tenant, claimAll("w-2", 50))
      expect(
        claimed.map((c) => [c.endpointId, c.sequence, c.eventType, (c.data as { refCode: string }).refCode])
      ).toEqual([[endpointId(1), 1, "order.created", "REF-w3"]])
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.backlog(at(50)))
        )
      ).toEqual({
        pending: 1,
        oldestDueAt: at(30)
      })
      // Not due yet at 29: pending, none due.
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.backlog(at(29)))
        )
      ).toEqual({
        pending: 1,
        oldestDueAt: null
      })
    })

    it("claims each endpoint's deliveries lowest sequence first, within its share of leases, never twice", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner, ["order.created"]), endpoint(2, owner, ["order.created"])])
      for (let i = 0; i < 5; i++) {
        const order = orderFixture(`c${i}`, { createdAt: at(10 + i), updatedAt: at(10 + i) })
        await run(
          tenant,
          Effect.flatMap(Orders, (o) => o.place(order, `obx_c${i}`, owner))
        )
      }
      const first = await run(tenant, claimAll("a", 100, 2))
      expect(first.map((c) => [c.endpointId, c.sequence])).toEqual([
        [endpointId(1), 1],
        [endpointId(1), 2],
        [endpointId(2), 1],
        [endpointId(2), 2]
      ])
      // The leased count against the share: nothing more until one ends.
      expect(await run(tenant, claimAll("b", 101, 2))).toEqual([])
      const done = await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) =>
          d.finish(first[0]!.id, "a", attempt(1, 102, 204, null), { _tag: "Delivered" })
        )
      )
      expect(done).toEqual({ _tag: "Recorded", endpointDisabled: false })
      const next = await run(tenant, claimAll("b", 103, 2))
      expect(next.map((c) => [c.endpointId, c.sequence])).toEqual([[endpointId(1), 3]])
      // Only the claimer may finish; a finished delivery is finished.
      const stranger = await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) =>
          d.finish(next[0]!.id, "a", attempt(1, 104, 204, null), { _tag: "Delivered" })
        )
      )
      expect(stranger).toEqual({ _tag: "LeaseLost" })
      const again = await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) =>
          d.finish(first[0]!.id, "a", attempt(1, 104, 204, null), { _tag: "Delivered" })
        )
      )
      expect(again).toEqual({ _tag: "LeaseLost" })
      // A lease that ran out is free again, its try counted once more.
      const expired = await run(tenant, claimAll("c", 60_200, 2))
      expect(expired.map((c) => [c.endpointId, c.sequence, c.attempts])).toEqual([
        [endpointId(1), 2, 2],
        [endpointId(1), 3, 2],
        [endpointId(2), 1, 2],
        [endpointId(2), 2, 2]
      ])
    })

    it("retries at the time asked, delivers, and lists every try newest delivery first", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner)])
      const order = orderFixture("r1", { createdAt: at(10), updatedAt: at(10) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(order, "obx_r1", owner))
      )
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(order.orderId, change("SUBMITTED", 20)))
      )
      const deliveries = (f: (d: WebhookDeliveries["Service"]) => Effect.Effect<unknown, unknown>) =>
        run(tenant, Effect.flatMap(WebhookDeliveries, f))
      expect(await deliveries((d) => d.nextDue())).toEqual(at(10))
      const [one, two] = await run(tenant, claimAll("a", 30))
      expect(await deliveries((d) => d.nextDue())).toEqual(at(60_030))
      await deliveries((d) =>
        d.finish(one!.id, "a", attempt(1, 31, 500, "answered 500"), { _tag: "Retry", dueAt: at(5_000) })
      )
      await deliveries((d) =>
        d.finish(two!.id, "a", attempt(1, 31, null, "timeout after 10000 ms"), { _tag: "Retry", dueAt: at(9_000) })
      )
      expect(await deliveries((d) => d.nextDue())).toEqual(at(5_000))
      expect(await run(tenant, claimAll("a", 4_999))).toEqual([])
      const [retried] = await run(tenant, claimAll("a", 5_000))
      expect(retried).toMatchObject({ id: one!.id, eventId: one!.eventId, attempts: 2, triesSince: 2, sequence: 1 })
      await deliveries((d) => d.finish(one!.id, "a", attempt(2, 5_001, 200, null), { _tag: "Delivered" }))
      const listed = (await deliveries((d) =>
        d.list(endpointId(1), { before: null, limit: 10 })
      )) as ReadonlyArray<unknown>
      expect(listed).toEqual([
        {
          id: two!.id,
          endpointId: endpointId(1),
          eventId: two!.eventId,
          eventType: "order.status_changed",
          sequence: 2,
          state: "pending",
          attempts: [attempt(1, 31, null, "timeout after 10000 ms")],
          nextAttemptAt: at(9_000),
          createdAt: at(20),
          finishedAt: null
        },
        {
          id: one!.id,
          endpointId: endpointId(1),
          eventId: one!.eventId,
          eventType: "order.created",
          sequence: 1,
          state: "delivered",
          attempts: [attempt(1, 31, 500, "answered 500"), attempt(2, 5_001, 200, null)],
          nextAttemptAt: null,
          createdAt: at(10),
          finishedAt: at(5_013)
        }
      ])
      expect(await deliveries((d) => d.list(endpointId(1), { before: 2, limit: 10 }))).toEqual([listed[1]])
      expect(await deliveries((d) => d.list(endpointId(1), { before: null, limit: 1 }))).toEqual([listed[0]])
      expect(await deliveries((d) => d.get(endpointId(1), one!.id))).toEqual(listed[1])
      await addEndpoints(tenant, [{ ...endpoint(2, owner), createdAt: at(1) }])
      expect(await deliveries((d) => d.health())).toEqual([
        {
          endpointId: endpointId(1),
          pending: 1,
          oldestPendingAt: at(20),
          lastSuccessAt: at(5_013),
          lastAttemptAt: at(5_001),
          lastError: null
        },
        {
          endpointId: endpointId(2),
          pending: 0,
          oldestPendingAt: null,
          lastSuccessAt: null,
          lastAttemptAt: null,
          lastError: null
        }
      ])
      // The latest try failing is the health's error.
      const [again] = await run(tenant, claimAll("a", 9_000))
      await deliveries((d) =>
        d.finish(again!.id, "a", attempt(2, 9_001, 502, "answered 502"), { _tag: "Retry", dueAt: at(20_000) })
      )
      expect(await deliveries((d) => d.health())).toMatchObject([
        {
          endpointId: endpointId(1),
          pending: 1,
          lastSuccessAt: at(5_013),
          lastAttemptAt: at(9_001),
          lastError: "answered 502"
        },
        { endpointId: endpointId(2), pending: 0 }
      ])
      expect(await deliveries((d) => d.get(endpointId(2), one!.id))).toBeUndefined()
      expect(await deliveries((d) => d.get(endpointId(1), "whd_0000"))).toBeUndefined()
    })

    it("sends a finished delivery again with the same event, and leaves a pending one as it is", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner, ["order.created"])])
      const order = orderFixture("d1", { createdAt: at(10), updatedAt: at(10) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(order, "obx_d1", owner))
      )
      const [one] = await run(tenant, claimAll("a", 20))
      await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) =>
          d.finish(one!.id, "a", attempt(1, 20, 200, null), { _tag: "Delivered" })
        )
      )
      const again = await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) => d.redeliver(endpointId(1), one!.id, at(1_000)))
      )
      expect(again).toMatchObject({ state: "pending", nextAttemptAt: at(1_000), finishedAt: null, sequence: 1 })
      expect(again?.attempts).toHaveLength(1)
      const twice = await run(
        tenant,
        Effect.flatMap(WebhookDeliveries, (d) => d.redeliver(endpointId(1), one!.id, at(2_000)))
      )
      expect(twice).toEqual(again)
      const [claimed] = await run(tenant, claimAll("b", 1_000))
      expect(claimed).toMatchObject({
        id: one!.id,
        eventId: one!.eventId,
        attempts: 2,
        triesSince: 1,
        tryingSince: at(1_000)
      })
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.redeliver(endpointId(2), one!.id, at(3_000)))
        )
      ).toBeUndefined()
    })

    it("gives up: the endpoint is disabled when nothing reached it since, and its owner's others hear of it", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [
        endpoint(1, owner, ["order.created"]),
        endpoint(2, keyOwner(2), ["menu.published"]),
        endpoint(3, owner, ["order.created"])
      ])
      for (const n of [1, 2]) {
        const order = orderFixture(`g${n}`, { createdAt: at(10 * n), updatedAt: at(10 * n) })
        await run(
          tenant,
          Effect.flatMap(Orders, (o) => o.place(order, `obx_g${n}`, owner))
        )
      }
      const claimed = await run(tenant, claimAll("a", 100))
      const of = (endpoint: number, sequence: number) =>
        claimed.find((c) => c.endpointId === endpointId(endpoint) && c.sequence === sequence)!
      const finish = (id: string, f: WebhookFinish, ms: number) =>
        run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.finish(id, "a", attempt(1, ms, 503, "answered 503"), f))
        )
      // Endpoint 3 received its second event after its first began: giving the first up keeps it enabled.
      expect(await finish(of(3, 2).id, { _tag: "Delivered" }, 200)).toEqual({
        _tag: "Recorded",
        endpointDisabled: false
      })
      expect(await finish(of(3, 1).id, { _tag: "GiveUp", reason: "r3" }, 300)).toEqual({
        _tag: "Recorded",
        endpointDisabled: false
      })
      expect(await finish(of(1, 1).id, { _tag: "GiveUp", reason: "failing since x" }, 400)).toEqual({
        _tag: "Recorded",
        endpointDisabled: true
      })
      const stored = await run(
        tenant,
        Effect.flatMap(WebhookEndpoints, (s) => s.findById(endpointId(1)))
      )
      expect(stored).toMatchObject({ enabled: false, disabledReason: "failing since x", updatedAt: at(412) })
      // Its other delivery waits (not claimed while it is disabled); the notice goes to every other endpoint.
      const notices = await run(tenant, claimAll("b", 61_000))
      const notice = {
        endpointId: endpointId(1),
        url: "https://partner1.example/hooks",
        reason: "failing since x",
        disabledAt: at(412).toISOString()
      }
      // Only its owner's other endpoints hear of it (another partner's endpoint 2 does not).
      expect(notices.map((c) => [c.endpointId, c.sequence, c.eventType, c.data])).toEqual([
        [endpointId(3), 3, "endpoint.disabled", notice]
      ])
      // Enabled again, its waiting delivery goes out, with its day of retries from then.
      await run(
        tenant,
        Effect.flatMap(WebhookEndpoints, (s) =>
          s.update(endpointId(1), { enabled: true, disabledReason: null }, at(600))
        )
      )
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.resume(endpointId(1), at(70_000)))
        )
      ).toBe(1)
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.resume(endpointId(2), at(70_000)))
        )
      ).toBe(0)
      expect((await run(tenant, claimAll("c", 70_000))).map((c) => [c.endpointId, c.sequence, c.tryingSince])).toEqual([
        [endpointId(1), 2, at(70_000)]
      ])
    })

    it("prunes finished deliveries older than asked, with their tries, and keeps pending ones", async () => {
      const tenant = await newTenant("wp")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner, ["order.created"])])
      for (const n of [1, 2, 3]) {
        const order = orderFixture(`p${n}`, { createdAt: at(10 * n), updatedAt: at(10 * n) })
        await run(
          tenant,
          Effect.flatMap(Orders, (o) => o.place(order, `obx_p${n}`, owner))
        )
      }
      const deliveries = (f: (d: WebhookDeliveries["Service"]) => Effect.Effect<unknown, unknown>) =>
        run(tenant, Effect.flatMap(WebhookDeliveries, f))
      const [one, two] = await run(tenant, claimAll("a", 100))
      await deliveries((d) => d.finish(one!.id, "a", attempt(1, 100, 204, null), { _tag: "Delivered" }))
      await deliveries((d) =>
        d.finish(two!.id, "a", attempt(1, 200, 500, "answered 500"), { _tag: "GiveUp", reason: "r" })
      )
      // Finished at 112 and 212: a cut at 150 takes the first only; the third is pending.
      expect(await deliveries((d) => d.prune(at(150)))).toBe(1)
      const left = (await deliveries((d) => d.list(endpointId(1), { before: null, limit: 10 }))) as ReadonlyArray<{
        readonly sequence: number
      }>
      expect(left.map((d) => d.sequence)).toEqual([3, 2])
      expect(await deliveries((d) => d.prune(at(1_000_000)))).toBe(1)
      expect(await deliveries((d) => d.prune(at(1_000_000)))).toBe(0)
      const pending = (await deliveries((d) => d.list(endpointId(1), { before: null, limit: 10 }))) as ReadonlyArray<{
        readonly sequence: number
        readonly state: string
      }>
      expect(pending.map((d) => [d.sequence, d.state])).toEqual([[3, "pending"]])
    })

    it("forgets a removed endpoint's deliveries", async () => {
      const tenant = await newTenant("wd")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner), endpoint(2, owner)])
      const order = orderFixture("x1", { createdAt: at(10), updatedAt: at(10) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(order, "obx_x1", owner))
      )
      await run(
        tenant,
        Effect.flatMap(WebhookEndpoints, (s) => s.remove(endpointId(1)))
      )
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.list(endpointId(1), { before: null, limit: 5 }))
        )
      ).toEqual([])
      expect((await run(tenant, claimAll("a", 20))).map((c) => c.endpointId)).toEqual([endpointId(2)])
      expect(
        await run(
          tenant,
          Effect.flatMap(WebhookDeliveries, (d) => d.backlog(at(20)))
        )
      ).toEqual({
        pending: 1,
        oldestDueAt: at(10)
      })
    })

    it("records a sync's outcome for every endpoint that hears it: sync.completed or sync.failed", async () => {
      const tenant = await newTenant("ws")
      await addEndpoints(tenant, [endpoint(1, keyOwner(1)), endpoint(2, keyOwner(2), ["sync.failed"])])
      const record = (id: string, status: "succeeded" | "failed"): SyncRecord => ({
        id,
        kind: "products",
        provider: "deliverect",
        source: "push",
        storeId: null,
        status,
        counts: { products: { created: 3, updated: 1, unchanged: 0, deactivated: 2 } },
        error: status === "failed" ? "body.categories[0]: expected an array" : null,
        fingerprint: null,
        callbackUrl: null,
        pushedOutlets: null,
        startedAt: at(100),
        finishedAt: at(250)
      })
      const ok = record("syn_ok", "succeeded")
      const bad = record("syn_bad", "failed")
      await run(
        tenant,
        Effect.flatMap(SyncHistory, (h) => Effect.andThen(h.record(ok), h.record(bad)))
      )
      const claimed = await run(tenant, claimAll("s", 300))
      expect(claimed.map((c) => [c.endpointId, c.sequence, c.eventType, c.data, c.occurredAt])).toEqual([
        [endpointId(1), 1, "sync.completed", syncFinished(ok).data, at(250)],
        [endpointId(1), 2, "sync.failed", syncFinished(bad).data, at(250)],
        [endpointId(2), 1, "sync.failed", syncFinished(bad).data, at(250)]
      ])
    })

    it("hands an order event's delivery the trace its order was placed in, and other events none", async () => {
      const tenant = await newTenant("wt")
      const owner = keyOwner(1)
      await addEndpoints(tenant, [endpoint(1, owner)])
      const placing = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      const traced = orderFixture("t1", { createdAt: at(10), updatedAt: at(10) })
      const untraced = orderFixture("t2", { createdAt: at(11), updatedAt: at(11) })
      await run(
        tenant,
        Effect.flatMap(Orders, (o) =>
          Effect.andThen(o.place(traced, "obx_t1", owner, placing), o.place(untraced, "obx_t2", owner))
        )
      )
      // A later change of the order, in another request: its event still continues the placing trace.
      await run(
        tenant,
        Effect.flatMap(Orders, (o) => o.move(traced.orderId, change("SUBMITTED", 20)))
      )
      await run(
        tenant,
        Effect.flatMap(SyncHistory, (h) =>
          h.record({
            id: "syn_t",
            kind: "products",
            provider: "deliverect",
            source: "push",
            storeId: null,
            status: "succeeded",
            counts: {},
            error: null,
            fingerprint: null,
            callbackUrl: null,
            pushedOutlets: null,
            startedAt: at(30),
            finishedAt: at(31)
          })
        )
      )
      const claimed = await run(tenant, claimAll("t", 100))
      expect(claimed.map((c) => [c.sequence, c.eventType, c.traceContext])).toEqual([
        [1, "order.created", placing],
        [2, "order.created", null],
        [3, "order.status_changed", placing],
        [4, "sync.completed", null]
      ])
    })

    it("fans out as a simple model does: per endpoint, the events it hears in order, numbered 1, 2, 3...", async () => {
      const arbEndpoint = fc.record({
        owner: fc.constantFrom(1, 2),
        types: fc.uniqueArray(fc.constantFrom(...webhookEventTypes.filter((t) => t.startsWith("order."))), {
          maxLength: 2
        })
      })
      const arbStep = fc.record({
        placedBy: fc.constantFrom(1, 2, null),
        moves: fc.array(
          fc.constantFrom<OrderStatus>("SUBMITTED", "ACCEPTED", "REJECTED", "FAILED", "CANCELLED", "READY"),
          {
            maxLength: 4
          }
        )
      })
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbEndpoint, { minLength: 1, maxLength: 3 }),
          fc.array(arbStep, { maxLength: 4 }),
          async (endpoints, steps) => {
            const tenant = await newTenant("wm")
            await addEndpoints(
              tenant,
              endpoints.map((e, i) => endpoint(i + 1, keyOwner(e.owner), e.types))
            )
            const expected = new Map<string, Array<string>>()
            const hear = (type: WebhookEventType, placedBy: number | null) =>
              endpoints.forEach((e, i) => {
                if (placedBy !== e.owner || (e.types.length > 0 && !e.types.includes(type))) return
                const list = expected.get(endpointId(i + 1)) ?? []
                list.push(type)
                expected.set(endpointId(i + 1), list)
              })
            let ms = 10
            for (const [n, step] of steps.entries()) {
              const order = orderFixture(`m${n}`, { createdAt: at(ms), updatedAt: at(ms) })
              await run(
                tenant,
                Effect.flatMap(Orders, (o) =>
                  o.place(order, `obx_m${n}`, step.placedBy === null ? null : keyOwner(step.placedBy))
                )
              )
              hear("order.created", step.placedBy)
              let status: OrderStatus = "RECEIVED"
              for (const to of step.moves) {
                ms += 1
                await run(
                  tenant,
                  Effect.flatMap(Orders, (o) => o.move(order.orderId, change(to, ms)))
                )
                if (to === status || !canMove(status, to)) continue
                status = to
                for (const event of orderEvents(facts(order, to), {
                  from: "RECEIVED",
                  to,
                  reason: null,
                  source: "pos"
                })) {
                  hear(event.type, step.placedBy)
                }
              }
              ms += 1
            }
            const claimed = await run(tenant, claimAll("m", ms + 1))
            const actual = new Map<string, Array<string>>()
            for (const c of claimed) {
              const list = actual.get(c.endpointId) ?? []
              expect(c.sequence).toBe(list.length + 1)
              list.push(c.eventType)
              actual.set(c.endpointId, list)
            }
            expect(actual).toEqual(expected)
          }
        ),
        { numRuns: 15 }
      )
    })
  })
