import { Effect, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeHttpLoyalty } from "../../adapters/loyalty/http-loyalty.ts"
import { makeLoyaltyTables, makeMemoryLoyaltyLedger } from "../../adapters/storage/memory/memory-loyalty.ts"
import { makeCircuitBreaker } from "../../application/loyalty/circuit-breaker.ts"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import type { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { type DomainError, statusOf, toHttpError } from "../../runtime/http/error-mapping.ts"
import { type LoyaltySimulator, startLoyaltySimulator } from "../support/loyalty-simulator.ts"

interface Backend {
  readonly loyalty: Loyalty
  readonly ledger: LoyaltyLedger["Service"]
}

/** What a partner would see of a failure: the status and message of the envelope. */
const answer = (error: LoyaltyError) =>
  error._tag === "StorageError"
    ? { status: 500, message: "internal error" }
    : { status: statusOf(error as DomainError), message: toHttpError(error as DomainError).message }

/**
 * The loyalty contract: the embedded ledger and the loyalty-service client (over a real socket, to
 * a loyalty-service answering from its own ledger) behave the same way through the port.
 */
const loyaltyContract = (name: string, make: () => Promise<Backend>) =>
  describe(`loyalty contract: ${name}`, () => {
    let backend: Backend
    beforeAll(async () => {
      backend = await make()
      await Effect.runPromise(backend.ledger.setReward({ rewardId: "coffee", name: "Coffee", points: 30 }, new Date()))
      await Effect.runPromise(backend.ledger.setReward({ rewardId: "cake", name: "Cake", points: 80 }, new Date()))
    })
    const run = <A>(effect: Effect.Effect<A, LoyaltyError>) => Effect.runPromise(effect)
    const fail = (effect: Effect.Effect<unknown, LoyaltyError>) => Effect.runPromise(Effect.flip(effect)).then(answer)

    it("shows a new member with no points and the lowest tier", async () => {
      expect(await run(backend.loyalty.member("cus_new"))).toEqual({ customerId: "cus_new", points: 0, tier: "bronze" })
      expect(await run(backend.loyalty.transactions("cus_new"))).toEqual([])
    })

    it("earns one point per whole currency unit, rounded down, in the currency's own minor units", async () => {
      const earned = await run(
        backend.loyalty.earn({ customerId: "cus_a", amount: 1299, currency: "SGD", orderId: "ord_1", refCode: "e-1" })
      )
      expect(earned).toMatchObject({ points: 12, balance: 12 })
      expect(earned.transactionId).not.toBe("")
      const yen = await run(
        backend.loyalty.earn({ customerId: "cus_a", amount: 1299, currency: "JPY", orderId: null, refCode: "e-2" })
      )
      expect(yen).toMatchObject({ points: 1299, balance: 1311 })
      expect(await run(backend.loyalty.member("cus_a"))).toEqual({ customerId: "cus_a", points: 1311, tier: "silver" })
    })

    it("earns once per refCode: a retry answers the first transaction", async () => {
      const request = { customerId: "cus_b", amount: 5000, currency: "EUR", orderId: null, refCode: "e-b" }
      const first = await run(backend.loyalty.earn(request))
      const again = await run(backend.loyalty.earn(request))
      expect(again).toEqual(first)
      expect((await run(backend.loyalty.member("cus_b"))).points).toBe(50)
    })

    it("redeems points and rewards, and refuses more than the balance with 409 insufficient points", async () => {
      await run(
        backend.loyalty.earn({ customerId: "cus_c", amount: 10000, currency: "EUR", orderId: null, refCode: "e-c" })
      )
      expect(await run(backend.loyalty.redeem({ customerId: "cus_c", points: 40, refCode: "r-c1" }))).toMatchObject({
        points: 40,
        balance: 60
      })
      expect(
        await run(backend.loyalty.redeem({ customerId: "cus_c", rewardId: "coffee", refCode: "r-c2" }))
      ).toMatchObject({ points: 30, balance: 30 })
      expect(await fail(backend.loyalty.redeem({ customerId: "cus_c", rewardId: "cake", refCode: "r-c3" }))).toEqual({
        status: 409,
        message: "insufficient points"
      })
      expect(await fail(backend.loyalty.redeem({ customerId: "cus_c", points: 31, refCode: "r-c4" }))).toEqual({
        status: 409,
        message: "insufficient points"
      })
      expect((await run(backend.loyalty.member("cus_c"))).points).toBe(30)
    })

    it("answers 404 for an unknown reward", async () => {
      expect(
        (await fail(backend.loyalty.redeem({ customerId: "cus_c", rewardId: "nope", refCode: "r-x" }))).status
      ).toBe(404)
    })

    it("lists a member's transactions newest first, and the rewards by id", async () => {
      await run(
        backend.loyalty.earn({ customerId: "cus_d", amount: 700, currency: "EUR", orderId: null, refCode: "e-d" })
      )
      await run(backend.loyalty.redeem({ customerId: "cus_d", points: 5, refCode: "r-d" }))
      const history = await run(backend.loyalty.transactions("cus_d"))
      expect(history.map(({ type, points, amount, refCode }) => ({ type, points, amount, refCode }))).toEqual([
        { type: "REDEEM", points: 5, amount: null, refCode: "r-d" },
        { type: "EARN", points: 7, amount: 700, refCode: "e-d" }
      ])
      expect(history[0]?.createdAt).toBeInstanceOf(Date)
      expect(await run(backend.loyalty.rewards)).toEqual([
        { rewardId: "cake", name: "Cake", points: 80 },
        { rewardId: "coffee", name: "Coffee", points: 30 }
      ])
    })
  })

const embedded = () => {
  const ledger = makeMemoryLoyaltyLedger(makeLoyaltyTables())
  return { loyalty: makeEmbeddedLoyalty(ledger), ledger }
}

loyaltyContract("embedded ledger", async () => embedded())

let simulator: LoyaltySimulator | undefined
afterAll(() => simulator?.stop())

loyaltyContract("loyalty-service over HTTP", async () => {
  const upstream = embedded()
  simulator = await startLoyaltySimulator({ backend: upstream.loyalty, credential: "s3cret", prefix: "/loyalty" })
  const loyalty = await Effect.runPromise(
    makeHttpLoyalty({
      baseUrl: simulator.url,
      credential: Redacted.make("s3cret"),
      timeoutMs: 5000,
      breaker: makeCircuitBreaker()
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
  return { loyalty, ledger: upstream.ledger }
})
