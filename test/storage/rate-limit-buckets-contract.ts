import { Effect, type Layer } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { RateLimitBuckets } from "../../application/ports/rate-limit-buckets.ts"
import { type BucketState, type Limit, takeTokens } from "../../domain/rate-limit.ts"

const t0 = Date.UTC(2026, 6, 1, 12, 0, 0, 0)

/**
 * The token buckets of the rate limits, on one adapter: a take refills the bucket to now at the
 * limit's rate (never above its burst) and hands out whole tokens, as domain/rate-limit.ts's model
 * does; concurrent takes never hand out more than the bucket holds.
 */
export const rateLimitBucketsContract = (
  name: string,
  layer: () => Layer.Layer<RateLimitBuckets, unknown>,
  options: { readonly shared: boolean }
) =>
  describe(`RateLimitBuckets contract: ${name}`, () => {
    const run = <A>(body: (buckets: RateLimitBuckets["Service"]) => Effect.Effect<A, unknown>) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.provide(
            Effect.gen(function* () {
              return yield* body(yield* RateLimitBuckets)
            }),
            layer()
          )
        )
      )
    const ten: Limit = { rate: 10, burst: 10 }

    it("says whether other instances share its buckets", () =>
      run((buckets) => Effect.sync(() => expect(buckets.shared).toBe(options.shared))))

    it("starts a bucket full, hands out whole tokens up to what it holds, and refills at the rate up to the burst", () =>
      run((buckets) =>
        Effect.gen(function* () {
          expect(yield* buckets.take("acme/key/1/reads", ten, 3, t0)).toEqual({ granted: 3, tokens: 7 })
          expect(yield* buckets.take("acme/key/1/reads", ten, 10, t0)).toEqual({ granted: 7, tokens: 0 })
          expect(yield* buckets.take("acme/key/1/reads", ten, 1, t0 + 50)).toEqual({ granted: 0, tokens: 0.5 })
          const refilled = yield* buckets.take("acme/key/1/reads", ten, 1, t0 + 250)
          expect(refilled.granted).toBe(1)
          expect(refilled.tokens).toBeCloseTo(1.5, 9)
          // An hour later it holds its burst, no more.
          expect(yield* buckets.take("acme/key/1/reads", ten, 100, t0 + 3_600_000)).toEqual({ granted: 10, tokens: 0 })
          // Another bucket is untouched.
          expect(yield* buckets.take("acme/key/2/reads", ten, 1, t0 + 3_600_000)).toEqual({ granted: 1, tokens: 9 })
        })
      ))

    it("refills nothing for a clock behind the last take, and applies a changed limit at once", () =>
      run((buckets) =>
        Effect.gen(function* () {
          expect((yield* buckets.take("acme/tenant/writes", ten, 10, t0 + 1000)).granted).toBe(10)
          // Another instance's clock 400 ms behind: no tokens from the past.
          expect((yield* buckets.take("acme/tenant/writes", ten, 1, t0 + 600)).granted).toBe(0)
          expect((yield* buckets.take("acme/tenant/writes", ten, 1, t0 + 1100)).granted).toBe(1)
          // The operator lowers the burst to 2: the next refill stops there.
          const lowered = yield* buckets.take("acme/tenant/writes", { rate: 10, burst: 2 }, 5, t0 + 60_000)
          expect(lowered).toEqual({ granted: 2, tokens: 0 })
        })
      ))

    it("never hands out more than the bucket holds to concurrent takes", () =>
      run((buckets) =>
        Effect.gen(function* () {
          const takes = yield* Effect.forEach(
            Array.from({ length: 40 }, (_, i) => i),
            () => buckets.take("acme/client/c1/writes", ten, 1, t0),
            { concurrency: 10 }
          )
          expect(takes.reduce((sum, take) => sum + take.granted, 0)).toBe(10)
        })
      ))

    it("behaves as the model over any sequence of takes", async () => {
      const limits: ReadonlyArray<Limit> = [ten, { rate: 0.5, burst: 3 }, { rate: 250, burst: 40 }]
      const step = fc.record({
        bucket: fc.constantFrom("a", "b"),
        limit: fc.constantFrom(...limits),
        want: fc.integer({ min: 1, max: 12 }),
        advanceMs: fc.integer({ min: -200, max: 3000 })
      })
      let round = 0
      // One adapter for every run (each run its own buckets): a fresh database per run would be slow.
      await run((buckets) =>
        Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
              const prefix = `model-${round++}`
              const model = new Map<string, BucketState>()
              let now = t0
              for (const s of steps) {
                now += s.advanceMs
                const expected = takeTokens(model.get(s.bucket), s.limit, s.want, now)
                model.set(s.bucket, expected.state)
                const got = await Effect.runPromise(buckets.take(`${prefix}/${s.bucket}`, s.limit, s.want, now))
                expect(got.granted).toBe(expected.granted)
                expect(got.tokens).toBeCloseTo(expected.state.tokens, 6)
              }
            }),
            { numRuns: 40 }
          )
        )
      )
    })
  })
