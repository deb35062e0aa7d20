import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { upsertCustomer } from "../../application/customers/upsert-customer.ts"
import { Customers, customerLookupLimit } from "../../application/ports/customers.ts"
import { type ClaimRequest, Idempotency } from "../../application/ports/idempotency.ts"
import { type LedgerEntry, LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { Customer } from "../../domain/customer.ts"
import type { ContractHelpers } from "./catalog-contract.ts"

const runs = { numRuns: 20 }
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms)

const customer = (id: string, overrides: Partial<Customer> = {}): Customer => ({
  id,
  externalId: null,
  name: `Customer ${id}`,
  phone: null,
  email: null,
  marketingOptIn: false,
  createdAt: at(0),
  updatedAt: at(0),
  ...overrides
})

const entry = (refCode: string, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  transactionId: `ltx_${refCode}`,
  customerId: "cus_1",
  type: "EARN",
  points: 10,
  amount: 1000,
  currency: "EUR",
  orderId: null,
  rewardId: null,
  refCode,
  createdAt: at(0),
  ...overrides
})

const claim = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  operation: "loyalty.earn",
  refCode: "r1",
  fingerprint: "f1",
  token: "t1",
  now: at(10_000),
  staleBefore: at(0),
  expiredBefore: at(0),
  ...overrides
})

/**
 * What must hold when requests race: run by every adapter's contract, and again on PostgreSQL with
 * a pool of several connections (test/storage/races.test.ts), where the races are real.
 */
export const concurrencyContract = ({ run, inTenant, newTenant }: ContractHelpers) => {
  describe("races", () => {
    it("creates a customer once when eight upserts of the same phone race", async () => {
      const id = await newTenant()
      const tenant = (await run(Effect.flatMap(TenantDirectory, (d) => d.find(id))))!
      const results = await inTenant(
        id,
        Effect.all(
          Array.from({ length: 8 }, (_, i) => upsertCustomer(tenant, { name: `N${i}`, phone: "06 1234 5678" })),
          { concurrency: "unbounded" }
        )
      )
      expect(results.filter((r) => r.created)).toHaveLength(1)
      expect(new Set(results.map((r) => r.customer.id)).size).toBe(1)
      const found = await inTenant(
        id,
        Effect.flatMap(Customers, (c) => c.find({ _tag: "phone", value: "+31612345678" }))
      )
      expect(found).toHaveLength(1)
    })

    it("gives exactly one of ten concurrent claims", async () => {
      const tenant = await newTenant()
      const results = await inTenant(
        tenant,
        Effect.flatMap(Idempotency, (store) =>
          Effect.all(
            Array.from({ length: 10 }, (_, i) => store.claim(claim({ token: `t${i}` }))),
            { concurrency: "unbounded" }
          )
        )
      )
      expect(results.filter((r) => r._tag === "Claimed")).toHaveLength(1)
      expect(results.filter((r) => r._tag === "InProgress")).toHaveLength(9)
    })
    it("answers every racing post of one refCode with the one transaction it made", async () => {
      const tenant = await newTenant()
      const results = await inTenant(
        tenant,
        Effect.gen(function* () {
          const ledger = yield* LoyaltyLedger
          yield* ledger.post(entry("e1", { points: 100 }))
          return yield* Effect.all(
            Array.from({ length: 6 }, (_, i) =>
              Effect.result(ledger.post(entry("same", { transactionId: `ltx_${i}`, type: "REDEEM", points: 60 })))
            ),
            { concurrency: "unbounded" }
          )
        })
      )
      const ids = results.map((r) => (r._tag === "Success" ? r.success.transactionId : r.failure._tag))
      expect(new Set(ids).size).toBe(1)
      expect(ids[0]).toMatch(/^ltx_/)
      const account = await inTenant(
        tenant,
        Effect.flatMap(LoyaltyLedger, (l) => l.account("cus_1"))
      )
      expect(account.points).toBe(40)
    })

    it("keeps both changes when upserts by different keys of one customer race", async () => {
      const id = await newTenant()
      const tenant = (await run(Effect.flatMap(TenantDirectory, (d) => d.find(id))))!
      const created = await inTenant(
        id,
        upsertCustomer(tenant, { name: "Base", phone: "+31612345678", email: "base@x.nl" })
      )
      await inTenant(
        id,
        Effect.all(
          [
            upsertCustomer(tenant, { name: "Base", phone: "+31612345678", marketingOptIn: true }),
            upsertCustomer(tenant, { name: "Base", email: "base@x.nl", externalId: undefined, phone: undefined }),
            upsertCustomer(tenant, { name: "Base", email: "base@x.nl", marketingOptIn: true })
          ],
          { concurrency: "unbounded" }
        )
      )
      const after = await inTenant(
        id,
        Effect.flatMap(Customers, (c) => c.get(created.customer.id))
      )
      expect(after).toMatchObject({ phone: "+31612345678", email: "base@x.nl", marketingOptIn: true })
    })

    it("never overdraws when redeems race", async () => {
      const tenant = await newTenant()
      const results = await inTenant(
        tenant,
        Effect.gen(function* () {
          const ledger = yield* LoyaltyLedger
          yield* ledger.post(entry("e1", { points: 100 }))
          return yield* Effect.all(
            Array.from({ length: 6 }, (_, i) =>
              Effect.result(ledger.post(entry(`d${i}`, { type: "REDEEM", points: 30 })))
            ),
            { concurrency: "unbounded" }
          )
        })
      )
      expect(results.filter((r) => r._tag === "Success")).toHaveLength(3)
      const account = await inTenant(
        tenant,
        Effect.flatMap(LoyaltyLedger, (l) => l.account("cus_1"))
      )
      expect(account.points).toBe(10)
    })
  })
}

/** Customers, refCode claims and the embedded loyalty ledger: the same behaviour from every adapter. */
export const customerLoyaltyContract = (helpers: ContractHelpers) => {
  const { inTenant, newTenant } = helpers
  concurrencyContract(helpers)

  describe("customers", () => {
    it("inserts, gets and finds customers by each key, oldest first", async () => {
      const tenant = await newTenant()
      const a = customer("cus_a", {
        externalId: "ext-1",
        phone: "+6591234567",
        email: "a@example.com",
        marketingOptIn: true,
        name: "Ana 😀",
        createdAt: at(1000),
        updatedAt: at(2000)
      })
      const b = customer("cus_b", { phone: "+6591234567", createdAt: at(500), updatedAt: at(500) })
      await inTenant(
        tenant,
        Effect.gen(function* () {
          const customers = yield* Customers
          yield* customers.insert(a)
          yield* customers.insert(b)
          expect(yield* customers.get("cus_a")).toEqual(a)
          expect(yield* customers.get("cus_none")).toBeUndefined()
          expect((yield* customers.find({ _tag: "phone", value: "+6591234567" })).map((c) => c.id)).toEqual([
            "cus_b",
            "cus_a"
          ])
          expect(yield* customers.find({ _tag: "externalId", value: "ext-1" })).toEqual([a])
          expect(yield* customers.find({ _tag: "email", value: "a@example.com" })).toEqual([a])
          expect(yield* customers.find({ _tag: "email", value: "A@example.com" })).toEqual([])
          const updated = { ...b, name: "Bo", email: "bo@example.com", updatedAt: at(9000) }
          yield* customers.update(updated)
          expect(yield* customers.get("cus_b")).toEqual(updated)
        })
      )
    })

    it("answers at most the lookup limit of customers, the oldest", async () => {
      const tenant = await newTenant()
      const found = await inTenant(
        tenant,
        Effect.gen(function* () {
          const customers = yield* Customers
          for (let i = customerLookupLimit; i >= 0; i--) {
            yield* customers.insert(
              customer(`cus_${String(i).padStart(3, "0")}`, { email: "same@x.nl", createdAt: at(i) })
            )
          }
          return yield* customers.find({ _tag: "email", value: "same@x.nl" })
        })
      )
      expect(found).toHaveLength(customerLookupLimit)
      expect(found[0]?.id).toBe("cus_000")
      expect(found.at(-1)?.createdAt).toEqual(at(customerLookupLimit - 1))
    })

    it("keeps externalId unique: a second customer with it is AlreadyExists", async () => {
      const tenant = await newTenant()
      const outcome = await inTenant(
        tenant,
        Effect.gen(function* () {
          const customers = yield* Customers
          yield* customers.insert(customer("cus_a", { externalId: "x" }))
          const inserted = yield* Effect.flip(customers.insert(customer("cus_b", { externalId: "x" })))
          yield* customers.insert(customer("cus_c"))
          const updated = yield* Effect.flip(customers.update(customer("cus_c", { externalId: "x" })))
          return { inserted: inserted._tag, updated: updated._tag, c: yield* customers.get("cus_c") }
        })
      )
      expect(outcome).toEqual({ inserted: "AlreadyExists", updated: "AlreadyExists", c: customer("cus_c") })
    })

    it("keeps each tenant's customers apart", async () => {
      const [one, two] = [await newTenant(), await newTenant()]
      await inTenant(
        one,
        Effect.flatMap(Customers, (c) => c.insert(customer("cus_a", { externalId: "e", phone: "+31612345678" })))
      )
      const seen = await inTenant(
        two,
        Effect.gen(function* () {
          const customers = yield* Customers
          return [
            yield* customers.get("cus_a"),
            ...(yield* customers.find({ _tag: "externalId", value: "e" })),
            ...(yield* customers.find({ _tag: "phone", value: "+31612345678" }))
          ]
        })
      )
      expect(seen).toEqual([undefined])
    })

    it("matches the model after any sequence of inserts and updates", async () => {
      const op = fc.record({
        id: fc.constantFrom("cus_1", "cus_2", "cus_3", "cus_4"),
        externalId: fc.option(fc.constantFrom("e1", "e2"), { nil: null }),
        phone: fc.option(fc.constantFrom("+31612345678", "+6591234567"), { nil: null }),
        email: fc.option(fc.constantFrom("a@x.nl", "b@x.nl"), { nil: null }),
        name: fc.string({ maxLength: 6 }),
        optIn: fc.boolean()
      })
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
          const tenant = await newTenant("cm")
          const model = new Map<string, Customer>()
          await inTenant(
            tenant,
            Effect.gen(function* () {
              const customers = yield* Customers
              for (const [i, o] of ops.entries()) {
                const existing = model.get(o.id)
                const next = customer(o.id, {
                  externalId: o.externalId,
                  phone: o.phone,
                  email: o.email,
                  name: o.name,
                  marketingOptIn: o.optIn,
                  createdAt: existing?.createdAt ?? at(i * 1000),
                  updatedAt: at(i * 1000)
                })
                const taken =
                  o.externalId !== null &&
                  [...model.values()].some((c) => c.id !== o.id && c.externalId === o.externalId)
                const result = yield* Effect.result(existing ? customers.update(next) : customers.insert(next))
                expect(result._tag === "Failure").toBe(taken)
                if (!taken) model.set(o.id, next)
              }
              const ordered = [...model.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
              for (const key of ["e1", "e2"]) {
                expect(yield* customers.find({ _tag: "externalId", value: key })).toEqual(
                  ordered.filter((c) => c.externalId === key)
                )
              }
              for (const key of ["+31612345678", "+6591234567"]) {
                expect(yield* customers.find({ _tag: "phone", value: key })).toEqual(
                  ordered.filter((c) => c.phone === key)
                )
              }
              for (const key of ["a@x.nl", "b@x.nl"]) {
                expect(yield* customers.find({ _tag: "email", value: key })).toEqual(
                  ordered.filter((c) => c.email === key)
                )
              }
            })
          )
        }),
        runs
      )
    })
  })

  describe("refCode claims", () => {
    it("claims once, then answers in progress, conflict, and after completion the exact stored answer", async () => {
      const tenant = await newTenant()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const store = yield* Idempotency
          const first = yield* store.claim(claim())
          const again = yield* store.claim(claim({ token: "t2" }))
          const other = yield* store.claim(claim({ token: "t3", fingerprint: "f2" }))
          const otherOperation = yield* store.claim(claim({ operation: "loyalty.redeem", token: "t4" }))
          const wrongToken = yield* store.complete("loyalty.earn", "r1", "t2", { status: 200, body: "x" }, at(11_000))
          const body = '{"transactionId":"ltx_1","points":8,"balance":8,"note":"ü 😀"}'
          const done = yield* store.complete("loyalty.earn", "r1", "t1", { status: 200, body }, at(11_000))
          const replay = yield* store.claim(claim({ token: "t5" }))
          const conflict = yield* store.claim(claim({ token: "t6", fingerprint: "f2" }))
          return { first, again, other, otherOperation, wrongToken, done, replay, conflict }
        })
      )
      expect(seen).toEqual({
        first: { _tag: "Claimed" },
        again: { _tag: "InProgress" },
        other: { _tag: "Conflict" },
        otherOperation: { _tag: "Claimed" },
        wrongToken: false,
        done: true,
        replay: {
          _tag: "Replay",
          outcome: { status: 200, body: '{"transactionId":"ltx_1","points":8,"balance":8,"note":"ü 😀"}' }
        },
        conflict: { _tag: "Conflict" }
      })
    })

    it("lets a released claim, a stale claim of the same payload and an expired answer be claimed again", async () => {
      const tenant = await newTenant()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const store = yield* Idempotency
          yield* store.claim(claim())
          yield* store.release("loyalty.earn", "r1", "wrong-token")
          const notReleased = yield* store.claim(claim({ token: "t2" }))
          yield* store.release("loyalty.earn", "r1", "t1")
          const afterRelease = yield* store.claim(claim({ token: "t3" }))
          const staleOther = yield* store.claim(claim({ token: "t4", fingerprint: "f2", staleBefore: at(20_000) }))
          const staleSame = yield* store.claim(claim({ token: "t5", staleBefore: at(20_000), now: at(30_000) }))
          const oldOwner = yield* store.complete("loyalty.earn", "r1", "t3", { status: 200, body: "old" }, at(31_000))
          const newOwner = yield* store.complete("loyalty.earn", "r1", "t5", { status: 409, body: "new" }, at(31_000))
          const replay = yield* store.claim(claim({ token: "t6", expiredBefore: at(31_000) }))
          const expired = yield* store.claim(claim({ token: "t7", fingerprint: "f9", expiredBefore: at(31_001) }))
          return { notReleased, afterRelease, staleOther, staleSame, oldOwner, newOwner, replay, expired }
        })
      )
      expect(seen).toEqual({
        notReleased: { _tag: "InProgress" },
        afterRelease: { _tag: "Claimed" },
        staleOther: { _tag: "Conflict" },
        staleSame: { _tag: "Claimed" },
        oldOwner: false,
        newOwner: true,
        replay: { _tag: "Replay", outcome: { status: 409, body: "new" } },
        expired: { _tag: "Claimed" }
      })
    })
  })

  describe("refCode purge", () => {
    it("deletes answers finished, and claims abandoned, before the cut-off, at most `limit` at a time", async () => {
      const tenant = await newTenant()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const store = yield* Idempotency
          for (const [refCode, claimedAt, finishedAt] of [
            ["old-1", 0, 1_000],
            ["old-2", 0, 2_000],
            ["old-3", 0, 3_000],
            ["abandoned", 500, null],
            ["recent", 0, 50_000],
            ["running", 40_000, null]
          ] as const) {
            yield* store.claim(claim({ refCode, token: refCode, now: at(claimedAt) }))
            if (finishedAt !== null) {
              yield* store.complete("loyalty.earn", refCode, refCode, { status: 200, body: refCode }, at(finishedAt))
            }
          }
          const first = yield* store.purge(at(10_000), 2)
          const second = yield* store.purge(at(10_000), 100)
          const third = yield* store.purge(at(10_000), 100)
          const states: Record<string, string> = {}
          for (const refCode of ["old-1", "old-2", "old-3", "abandoned", "recent", "running"]) {
            states[refCode] = (yield* store.claim(claim({ refCode, token: "probe", now: at(60_000) })))._tag
          }
          return { counts: [first, second, third], states }
        })
      )
      expect(seen.counts).toEqual([2, 2, 0])
      expect(seen.states).toEqual({
        "old-1": "Claimed",
        "old-2": "Claimed",
        "old-3": "Claimed",
        abandoned: "Claimed",
        recent: "Replay",
        running: "InProgress"
      })
    })
  })

  describe("loyalty ledger", () => {
    it("posts earns and redeems, keeps the balance, refuses an overdraft and lists newest first", async () => {
      const tenant = await newTenant()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const ledger = yield* LoyaltyLedger
          const empty = yield* ledger.account("cus_1")
          const earned = yield* ledger.post(entry("e1", { points: 30, createdAt: at(1) }))
          const redeemed = yield* ledger.post(
            entry("d1", {
              type: "REDEEM",
              points: 12,
              amount: null,
              currency: null,
              rewardId: "coffee",
              createdAt: at(2)
            })
          )
          const overdraft = yield* Effect.flip(ledger.post(entry("d2", { type: "REDEEM", points: 19 })))
          const replayed = yield* ledger.post(entry("e1", { transactionId: "ltx_other", points: 30 }))
          const otherMember = yield* Effect.flip(ledger.post(entry("e1", { customerId: "cus_2", points: 30 })))
          const otherAmount = yield* Effect.flip(ledger.post(entry("e1", { amount: 5000, points: 50 })))
          return {
            empty,
            earned,
            redeemed,
            overdraft,
            replayed,
            conflicts: [otherMember._tag, otherAmount._tag],
            account: yield* ledger.account("cus_1"),
            other: yield* ledger.account("cus_2"),
            history: yield* ledger.transactions("cus_1", 10),
            limited: (yield* ledger.transactions("cus_1", 1)).length
          }
        })
      )
      expect(seen.empty).toEqual({ points: 0, lifetimePoints: 0 })
      expect(seen.earned).toEqual({ transactionId: "ltx_e1", points: 30, balance: 30 })
      expect(seen.redeemed).toEqual({ transactionId: "ltx_d1", points: 12, balance: 18 })
      expect(seen.overdraft).toMatchObject({ _tag: "InsufficientPoints", balance: 18, required: 19 })
      expect(seen.replayed).toEqual({ transactionId: "ltx_e1", points: 30, balance: 30 })
      expect(seen.conflicts).toEqual(["RefCodeConflict", "RefCodeConflict"])
      expect(seen.account).toEqual({ points: 18, lifetimePoints: 30 })
      expect(seen.other).toEqual({ points: 0, lifetimePoints: 0 })
      expect(seen.history).toEqual([
        { transactionId: "ltx_d1", type: "REDEEM", points: 12, amount: null, refCode: "d1", createdAt: at(2) },
        { transactionId: "ltx_e1", type: "EARN", points: 30, amount: 1000, refCode: "e1", createdAt: at(1) }
      ])
      expect(seen.limited).toBe(1)
    })

    it("sets, updates, lists and removes rewards", async () => {
      const tenant = await newTenant()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const ledger = yield* LoyaltyLedger
          yield* ledger.setReward({ rewardId: "tea", name: "Tea", points: 50 }, at(0))
          yield* ledger.setReward({ rewardId: "coffee", name: "Coffee", points: 80 }, at(0))
          yield* ledger.setReward({ rewardId: "tea", name: "Green tea", points: 60 }, at(1))
          const listed = yield* ledger.rewards
          const removed = [yield* ledger.removeReward("coffee"), yield* ledger.removeReward("coffee")]
          return { listed, removed, tea: yield* ledger.reward("tea"), coffee: yield* ledger.reward("coffee") }
        })
      )
      expect(seen).toEqual({
        listed: [
          { rewardId: "coffee", name: "Coffee", points: 80 },
          { rewardId: "tea", name: "Green tea", points: 60 }
        ],
        removed: [true, false],
        tea: { rewardId: "tea", name: "Green tea", points: 60 },
        coffee: undefined
      })
    })

    it("matches a running-balance model for any sequence of posts", async () => {
      const post = fc.record({
        customer: fc.constantFrom("cus_1", "cus_2"),
        redeem: fc.boolean(),
        points: fc.integer({ min: 0, max: 50 }),
        refCode: fc.constantFrom("a", "b", "c", "d", "e", "f")
      })
      await fc.assert(
        fc.asyncProperty(fc.array(post, { maxLength: 15 }), async (posts) => {
          const tenant = await newTenant("lm")
          const balances = new Map<string, { points: number; lifetimePoints: number }>()
          const done = new Map<
            string,
            { customer: string; points: number; result: { transactionId: string; points: number; balance: number } }
          >()
          await inTenant(
            tenant,
            Effect.gen(function* () {
              const ledger = yield* LoyaltyLedger
              for (const [i, p] of posts.entries()) {
                const type = p.redeem ? "REDEEM" : "EARN"
                const result = yield* Effect.result(
                  ledger.post(
                    entry(p.refCode, {
                      transactionId: `ltx_${i}`,
                      customerId: p.customer,
                      type,
                      points: p.points,
                      createdAt: at(i)
                    })
                  )
                )
                const key = `${type}:${p.refCode}`
                const account = balances.get(p.customer) ?? { points: 0, lifetimePoints: 0 }
                const earlier = done.get(key)
                if (earlier !== undefined) {
                  // The same request answers its transaction again; another one is a conflict.
                  if (earlier.customer === p.customer && earlier.points === p.points) {
                    expect(result).toMatchObject({ _tag: "Success", success: earlier.result })
                  } else {
                    expect(result).toMatchObject({ _tag: "Failure", failure: { _tag: "RefCodeConflict" } })
                  }
                } else if (p.redeem && p.points > account.points) {
                  expect(result._tag).toBe("Failure")
                } else {
                  const balance = account.points + (p.redeem ? -p.points : p.points)
                  const expected = { transactionId: `ltx_${i}`, points: p.points, balance }
                  expect(result).toMatchObject({ _tag: "Success", success: expected })
                  done.set(key, { customer: p.customer, points: p.points, result: expected })
                  balances.set(p.customer, {
                    points: balance,
                    lifetimePoints: account.lifetimePoints + (p.redeem ? 0 : p.points)
                  })
                }
              }
              for (const c of ["cus_1", "cus_2"]) {
                expect(yield* ledger.account(c)).toEqual(balances.get(c) ?? { points: 0, lifetimePoints: 0 })
              }
            })
          )
        }),
        runs
      )
    })
  })
}
