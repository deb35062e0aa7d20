import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Catalog, Outlets } from "../../application/ports/catalog.ts"
import { type Delivery, type JobRow, PosInbox } from "../../application/ports/pos-inbox.ts"
import { SNOOZED_INDEFINITELY } from "../../domain/catalog.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { instants, storeRow } from "./catalog-arbitraries.ts"
import type { ContractHelpers } from "./catalog-contract.ts"

const at = (ms: number) => new Date(Date.UTC(2026, 5, 1) + ms)

const delivery = (key: string, fields: Partial<Delivery> = {}): Delivery => ({
  provider: "prov",
  dedupeKey: key,
  receivedAt: at(1_000),
  snoozes: [],
  busyModes: [],
  orderEvents: [],
  jobs: [],
  ...fields
})

const job = (id: string, fields: Partial<JobRow> = {}): JobRow => ({
  id,
  kind: "pull",
  provider: "prov",
  externalOutletId: "ext-1",
  accountId: null,
  reason: "webhook",
  status: "pending",
  attempts: 0,
  runAfter: at(0),
  lastError: null,
  createdAt: at(0),
  finishedAt: null,
  ...fields
})

const item = (id: string, posCode: string, provider = "prov") => ({
  id,
  provider,
  externalId: id,
  posCode,
  name: id,
  description: null,
  imageUrl: null,
  modifierGroupIds: [],
  updatedAt: instants[0]!
})

const link = (storeId: string, itemId: string) => ({
  itemId,
  storeId,
  price: 100,
  taxRatePpm: null,
  taxRatesPpm: {},
  snoozedUntil: null,
  active: true,
  updatedAt: instants[0]!
})

/** Two outlets selling the same products, one product of another provider with the same POS code, one option. */
const seedCatalog = Effect.gen(function* () {
  yield* (yield* Outlets).save([storeRow("out_1", { provider: "prov" }), storeRow("out_2", { provider: "prov" })])
  yield* (yield* Catalog).apply({
    items: [item("prd_a", "A"), item("prd_b", "B"), item("prd_x", "A", "other")],
    groups: [],
    options: [
      {
        id: "opt_m",
        provider: "prov",
        externalId: "m",
        posCode: "M",
        name: "Oat milk",
        price: 50,
        snoozedUntil: null,
        updatedAt: instants[0]!
      }
    ],
    itemStores: [link("out_1", "prd_a"), link("out_1", "prd_b"), link("out_2", "prd_a"), link("out_1", "prd_x")],
    menus: []
  })
})

const snoozesOf = (storeId: string) =>
  Effect.map(
    Effect.flatMap(Catalog, (c) => c.storeLinks(storeId, ["prd_a", "prd_b", "prd_x"])),
    (links) => Object.fromEntries(links.map((l) => [l.itemId, l.snoozedUntil?.getTime() ?? null]))
  )

/** The POS inbox: deliveries applied once, and the durable job queue. */
export const posInboxContract = ({ name, inTenant, newTenant }: ContractHelpers) => {
  describe("POS inbox", () => {
    it("applies a delivery's snoozes by POS code to that outlet only, options everywhere, and busy mode", async () => {
      const tenant = await newTenant()
      await inTenant(tenant, seedCatalog)
      const until = at(3_600_000)
      const answer = await inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) =>
          inbox.accept(
            delivery("d1", {
              snoozes: [
                {
                  storeId: "out_1",
                  items: [
                    { posCode: "A", until },
                    { posCode: "M", until: SNOOZED_INDEFINITELY },
                    { posCode: "unknown", until }
                  ]
                }
              ],
              busyModes: [{ storeId: "out_1", mode: "PAUSED" }]
            })
          )
        )
      )
      expect(answer).toBe("applied")
      expect(await inTenant(tenant, snoozesOf("out_1"))).toEqual({
        prd_a: until.getTime(),
        prd_b: null,
        // Another provider's product with the same code is not this POS's.
        prd_x: null
      })
      expect(await inTenant(tenant, snoozesOf("out_2"))).toEqual({ prd_a: null })
      const option = await inTenant(
        tenant,
        Effect.flatMap(Catalog, (c) => c.getOptions(["opt_m"]))
      )
      expect(option[0]?.snoozedUntil?.getTime()).toBe(SNOOZED_INDEFINITELY.getTime())
      const outlets = await inTenant(
        tenant,
        Effect.flatMap(Outlets, (o) => Effect.all([o.get("out_1"), o.get("out_2")]))
      )
      expect(outlets.map((o) => o?.busyMode)).toEqual(["PAUSED", "ONLINE"])
    })

    it("changes nothing for a delivery it has seen, even when its content differs", async () => {
      const tenant = await newTenant()
      await inTenant(tenant, seedCatalog)
      const first = delivery("same", { snoozes: [{ storeId: "out_1", items: [{ posCode: "A", until: at(5_000) }] }] })
      const again = delivery("same", {
        snoozes: [{ storeId: "out_1", items: [{ posCode: "A", until: null }] }],
        busyModes: [{ storeId: "out_1", mode: "BUSY" }],
        jobs: [job("job_dup")]
      })
      const answers = await inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) => Effect.all([inbox.accept(first), inbox.accept(again)]))
      )
      expect(answers).toEqual(["applied", "duplicate"])
      expect((await inTenant(tenant, snoozesOf("out_1"))).prd_a).toBe(at(5_000).getTime())
      expect(
        (
          await inTenant(
            tenant,
            Effect.flatMap(Outlets, (o) => o.get("out_1"))
          )
        )?.busyMode
      ).toBe("ONLINE")
      expect(
        await inTenant(
          tenant,
          Effect.flatMap(PosInbox, (i) => i.getJob("job_dup"))
        )
      ).toBeUndefined()
      // Another provider's delivery with the same key is another delivery.
      expect(
        await inTenant(
          tenant,
          Effect.flatMap(PosInbox, (i) => i.accept({ ...first, provider: "other" }))
        )
      ).toBe("applied")
    })

    it("unsnoozes with a null until, and keeps snoozes until further notice", async () => {
      const tenant = await newTenant()
      await inTenant(tenant, seedCatalog)
      await inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) =>
          Effect.all([
            inbox.accept(
              delivery("s1", {
                snoozes: [
                  {
                    storeId: "out_1",
                    items: [
                      { posCode: "A", until: SNOOZED_INDEFINITELY },
                      { posCode: "B", until: at(9_000) }
                    ]
                  }
                ]
              })
            ),
            inbox.accept(delivery("s2", { snoozes: [{ storeId: "out_1", items: [{ posCode: "B", until: null }] }] }))
          ])
        )
      )
      expect(await inTenant(tenant, snoozesOf("out_1"))).toEqual({
        prd_a: SNOOZED_INDEFINITELY.getTime(),
        prd_b: null,
        prd_x: null
      })
    })

    it("records order events for their refCode, oldest first", async () => {
      const tenant = await newTenant()
      const event = (id: string, ms: number, status: string) => ({
        id,
        provider: "prov",
        refCode: "REF-1",
        posOrderId: "P1",
        status,
        vendorStatus: status.toLowerCase(),
        reason: null,
        at: at(ms),
        receivedAt: at(ms)
      })
      const events = await inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) =>
          Effect.andThen(
            Effect.all([
              inbox.accept(delivery("o2", { orderEvents: [event("oev_2", 2_000, "READY")] })),
              inbox.accept(delivery("o1", { orderEvents: [event("oev_1", 1_000, "ACCEPTED")] }))
            ]),
            inbox.orderEvents("REF-1")
          )
        )
      )
      expect(events.map((e) => [e.id, e.status, e.at?.getTime()])).toEqual([
        ["oev_1", "ACCEPTED", at(1_000).getTime()],
        ["oev_2", "READY", at(2_000).getTime()]
      ])
    })

    it("queues one pending job per target, claims due jobs oldest first, and reclaims an expired lease", async () => {
      const tenant = await newTenant()
      const result = await inTenant(
        tenant,
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          const first = yield* inbox.enqueue(job("job_1", { runAfter: at(100) }))
          const joined = yield* inbox.enqueue(job("job_2", { runAfter: at(50) }))
          const account = yield* inbox.enqueue(
            job("job_3", { externalOutletId: null, accountId: "acc", runAfter: at(10) })
          )
          const later = yield* inbox.enqueue(job("job_4", { externalOutletId: "ext-9", runAfter: at(10_000) }))
          const none = yield* inbox.claim(at(5), at(60_000))
          const a = yield* inbox.claim(at(200), at(60_000))
          const b = yield* inbox.claim(at(200), at(60_000))
          const empty = yield* inbox.claim(at(200), at(60_000))
          // job_3's process stopped: its lease runs out and another claimer takes it over.
          const reclaimed = yield* inbox.claim(at(60_000), at(120_000))
          return { first, joined, account, later, none, a, b, empty, reclaimed }
        })
      )
      expect([result.first, result.joined, result.account, result.later]).toEqual(["job_1", "job_1", "job_3", "job_4"])
      expect(result.none).toBeUndefined()
      expect([result.a?.id, result.b?.id]).toEqual(["job_3", "job_1"])
      expect(result.a).toMatchObject({ status: "running", attempts: 1 })
      expect(result.empty).toBeUndefined()
      expect(result.reclaimed).toMatchObject({ id: "job_3", status: "running", attempts: 2 })
    })

    it("finishes jobs done, failed, or pending again after the retry time", async () => {
      const tenant = await newTenant()
      const result = await inTenant(
        tenant,
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          for (const id of ["job_d", "job_f", "job_r"]) {
            yield* inbox.enqueue(job(id, { externalOutletId: id }))
          }
          for (let i = 0; i < 3; i++) yield* inbox.claim(at(10), at(60_000))
          yield* inbox.finish("job_d", { _tag: "done", at: at(20) })
          yield* inbox.finish("job_f", { _tag: "failed", at: at(20), error: "PosRejected: 404" })
          yield* inbox.finish("job_r", { _tag: "retry", at: at(20), error: "PosUnavailable", retryAt: at(5_000) })
          const early = yield* inbox.claim(at(4_999), at(60_000))
          const due = yield* inbox.claim(at(5_000), at(60_000))
          const jobs = yield* inbox.listJobs(10)
          return { early, due, jobs }
        })
      )
      expect(result.early).toBeUndefined()
      expect(result.due).toMatchObject({ id: "job_r", attempts: 2, lastError: "PosUnavailable" })
      const byId = Object.fromEntries(result.jobs.map((j) => [j.id, j]))
      expect(byId["job_d"]).toMatchObject({ status: "done", finishedAt: at(20) })
      expect(byId["job_f"]).toMatchObject({ status: "failed", lastError: "PosRejected: 404", finishedAt: at(20) })
    })

    it("ends a retried job when the same pull was queued meanwhile, so that one runs", async () => {
      const tenant = await newTenant()
      const result = await inTenant(
        tenant,
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          yield* inbox.enqueue(job("job_old"))
          yield* inbox.claim(at(10), at(60_000))
          const fresh = yield* inbox.enqueue(job("job_new"))
          yield* inbox.finish("job_old", { _tag: "retry", at: at(20), error: "PosUnavailable", retryAt: at(30) })
          return { fresh, old: yield* inbox.getJob("job_old"), next: yield* inbox.claim(at(40), at(60_000)) }
        })
      )
      expect(result.fresh).toBe("job_new")
      expect(result.old?.status).toBe("done")
      expect(result.next?.id).toBe("job_new")
    })

    it("forgets jobs that ended before a time, never pending or running ones", async () => {
      const tenant = await newTenant()
      const result = await inTenant(
        tenant,
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          for (const id of ["job_old_done", "job_old_failed", "job_new_done", "job_running", "job_pending"]) {
            yield* inbox.enqueue(job(id, { externalOutletId: id }))
          }
          for (let i = 0; i < 4; i++) yield* inbox.claim(at(10), at(60_000))
          yield* inbox.finish("job_old_done", { _tag: "done", at: at(100) })
          yield* inbox.finish("job_old_failed", { _tag: "failed", at: at(200), error: "x" })
          yield* inbox.finish("job_new_done", { _tag: "done", at: at(5_000) })
          const purged = yield* inbox.purgeJobs(at(1_000))
          return { purged, left: (yield* inbox.listJobs(10)).map((j) => j.id).sort() }
        })
      )
      expect(result.purged).toBe(2)
      expect(result.left).toEqual(["job_new_done", "job_pending", "job_running"])
    })

    it("forgets old deliveries, so the same bytes much later count again", async () => {
      const tenant = await newTenant()
      const result = await inTenant(
        tenant,
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          yield* inbox.accept(delivery("k1", { receivedAt: at(0) }))
          yield* inbox.accept(delivery("k2", { receivedAt: at(10_000) }))
          const purged = yield* inbox.purgeDeliveries(at(5_000))
          return { purged, k1: yield* inbox.accept(delivery("k1")), k2: yield* inbox.accept(delivery("k2")) }
        })
      )
      expect(result).toEqual({ purged: 1, k1: "applied", k2: "duplicate" })
    })

    it("claims like a simple model under any sequence of enqueues, claims and finishes", async () => {
      type Op =
        | { readonly op: "enqueue"; readonly target: number; readonly runAfter: number }
        | { readonly op: "claim"; readonly now: number }
        | { readonly op: "finish"; readonly pick: number; readonly outcome: "done" | "failed" | "retry" }
      const arbOp: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant("enqueue" as const), target: fc.nat(3), runAfter: fc.nat(5) }),
        fc.record({ op: fc.constant("claim" as const), now: fc.nat(8) }),
        fc.record({
          op: fc.constant("finish" as const),
          pick: fc.nat(10),
          outcome: fc.constantFrom("done" as const, "failed" as const, "retry" as const)
        })
      )
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
          const tenant: TenantId = await newTenant("inbox")
          // The model: jobs by id with status, runAfter, attempts; lease of 100 (never expires here).
          const model = new Map<string, { target: number; status: string; runAfter: number; attempts: number }>()
          const running: Array<string> = []
          let n = 0
          const expected: Array<unknown> = []
          const actual = await inTenant(
            tenant,
            Effect.gen(function* () {
              const inbox = yield* PosInbox
              const seen: Array<unknown> = []
              for (const op of ops) {
                if (op.op === "enqueue") {
                  const id = `job_${String(n++).padStart(3, "0")}`
                  const pending = [...model].find(([, j]) => j.status === "pending" && j.target === op.target)
                  if (pending === undefined) {
                    model.set(id, { target: op.target, status: "pending", runAfter: op.runAfter, attempts: 0 })
                  }
                  expected.push(pending?.[0] ?? id)
                  seen.push(
                    yield* inbox.enqueue(
                      job(id, { externalOutletId: `t${op.target}`, runAfter: at(op.runAfter), createdAt: at(n) })
                    )
                  )
                } else if (op.op === "claim") {
                  const due = [...model]
                    .filter(([, j]) => j.status === "pending" && j.runAfter <= op.now)
                    .sort(([a, x], [b, y]) => x.runAfter - y.runAfter || (a < b ? -1 : 1))[0]
                  if (due !== undefined) {
                    due[1].status = "running"
                    due[1].attempts++
                    running.push(due[0])
                  }
                  expected.push(due === undefined ? null : [due[0], due[1].attempts])
                  const claimed = yield* inbox.claim(at(op.now), at(1_000_000))
                  seen.push(claimed === undefined ? null : [claimed.id, claimed.attempts])
                } else {
                  const id = running.length === 0 ? undefined : running[op.pick % running.length]
                  if (id === undefined) continue
                  running.splice(running.indexOf(id), 1)
                  const j = model.get(id)!
                  if (op.outcome === "retry") {
                    const twin = [...model].some(([, o]) => o.status === "pending" && o.target === j.target)
                    j.status = twin ? "done" : "pending"
                    j.runAfter = 6
                    yield* inbox.finish(id, { _tag: "retry", at: at(50), error: "x", retryAt: at(6) })
                  } else {
                    j.status = op.outcome
                    yield* inbox.finish(
                      id,
                      op.outcome === "done" ? { _tag: "done", at: at(50) } : { _tag: "failed", at: at(50), error: "x" }
                    )
                  }
                }
              }
              const statuses = (yield* inbox.listJobs(100)).map((j) => [j.id, j.status, j.attempts]).sort()
              return { seen, statuses }
            })
          )
          expect(actual.seen).toEqual(expected)
          expect(actual.statuses).toEqual(
            [...model].map(([id, j]) => [id, j.status, j.attempts]).sort() as Array<Array<unknown>>
          )
        }),
        { numRuns: name === "memory" ? 60 : 15 }
      )
    })
  })
}
