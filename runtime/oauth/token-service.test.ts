import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { SigningKeyRecord } from "../../domain/oauth.ts"
import { AppConfig } from "../config.ts"
import { keyStatuses, signingTimes } from "./token-service.ts"

const minute = 60_000
const hour = 60 * minute
const tokenTtlMs = 15 * minute
/** The margin kept beyond the token lifetime for clock skew between instances. */
const retireMarginMs = minute

/** A key published at `createdAt` that signs from `activatesAt` (times in ms); no key material is needed. */
const key = (kid: string, activatesAt: number, createdAt = activatesAt): SigningKeyRecord => ({
  kid,
  publicJwk: { kty: "OKP", crv: "Ed25519", x: kid, kid, alg: "EdDSA", use: "sig" },
  privateJwk: null,
  privateProblem: null,
  createdAt: new Date(createdAt),
  activatesAt: new Date(activatesAt)
})

const statusesAt = (keys: ReadonlyArray<SigningKeyRecord>, now: number) =>
  keyStatuses(keys, now, tokenTtlMs).map((view) => ({
    kid: view.kid,
    status: view.status,
    removableAt: view.removableAt?.getTime() ?? null
  }))

describe("keyStatuses", () => {
  const first = key("first", 0)
  const second = key("second", 10 * hour, 10 * hour - 10 * minute)
  const third = key("third", 20 * hour, 20 * hour - 10 * minute)

  it("a lone key that has activated signs, and is never removable", () => {
    expect(statusesAt([first], 0)).toEqual([{ kid: "first", status: "signing", removableAt: null }])
    expect(statusesAt([first], 1000 * hour)).toEqual([{ kid: "first", status: "signing", removableAt: null }])
  })

  it("a published key waits (pending) until activatesAt, then signs from that very millisecond", () => {
    expect(statusesAt([first, second], 10 * hour - 1)).toEqual([
      { kid: "first", status: "signing", removableAt: null },
      { kid: "second", status: "pending", removableAt: null }
    ])
    expect(statusesAt([first, second], 10 * hour)).toEqual([
      { kid: "first", status: "retiring", removableAt: 10 * hour + tokenTtlMs + retireMarginMs },
      { kid: "second", status: "signing", removableAt: null }
    ])
  })

  it("a retiring key is removable once its successor has signed for a token lifetime and a minute", () => {
    const view = keyStatuses([first, second], 12 * hour, tokenTtlMs).find((v) => v.kid === "first")!
    expect(view.removableAt).toEqual(new Date(second.activatesAt.getTime() + tokenTtlMs + 60_000))
    // Another token lifetime moves it accordingly.
    const longer = keyStatuses([first, second], 12 * hour, 2 * hour).find((v) => v.kid === "first")!
    expect(longer.removableAt).toEqual(new Date(10 * hour + 2 * hour + 60_000))
  })

  it("counts a retiring key's removal from the key that took over from it, not from the latest one", () => {
    expect(statusesAt([first, second, third], 20 * hour)).toEqual([
      { kid: "first", status: "retiring", removableAt: 10 * hour + tokenTtlMs + retireMarginMs },
      { kid: "second", status: "retiring", removableAt: 20 * hour + tokenTtlMs + retireMarginMs },
      { kid: "third", status: "signing", removableAt: null }
    ])
  })

  it("sorts its input by activatesAt: the order the keys arrive in changes nothing", () => {
    const sorted = statusesAt([first, second, third], 15 * hour)
    expect(sorted.map((v) => [v.kid, v.status])).toEqual([
      ["first", "retiring"],
      ["second", "signing"],
      ["third", "pending"]
    ])
    for (const shuffled of [
      [third, first, second],
      [second, third, first],
      [third, second, first]
    ]) {
      expect(statusesAt(shuffled, 15 * hour)).toEqual(sorted)
    }
  })

  it("carries each key's times and its problem through", () => {
    const broken: SigningKeyRecord = { ...second, privateProblem: "sealed under key 'k9', not in CREDENTIALS_KEYS" }
    const [, view] = keyStatuses([first, broken], 11 * hour, tokenTtlMs)
    expect(view).toEqual({
      kid: "second",
      status: "signing",
      createdAt: second.createdAt,
      activatesAt: second.activatesAt,
      removableAt: null,
      problem: "sealed under key 'k9', not in CREDENTIALS_KEYS"
    })
    expect(keyStatuses([], 0, tokenTtlMs)).toEqual([])
  })

  it("whatever the keys and the time: at most one key signs, the latest activated, and pending keys come last (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (activations, now) => {
          const keys = activations.map((at, i) => key(`k${i}`, at))
          const views = keyStatuses(keys, now, tokenTtlMs)
          expect(views).toHaveLength(keys.length)
          const activated = activations.filter((at) => at <= now)
          const signing = views.filter((v) => v.status === "signing")
          if (activated.length === 0) expect(signing).toEqual([])
          else {
            expect(signing).toHaveLength(1)
            expect(signing[0]!.activatesAt.getTime()).toBe(Math.max(...activated))
          }
          for (const view of views) {
            expect(view.status === "pending").toBe(view.activatesAt.getTime() > now)
            expect(view.removableAt === null).toBe(view.status !== "retiring")
            if (view.removableAt !== null) {
              expect(view.removableAt.getTime()).toBeGreaterThan(view.activatesAt.getTime() + tokenTtlMs)
            }
          }
          const order = views.map((v) => v.activatesAt.getTime())
          expect(order).toEqual([...order].sort((a, b) => a - b))
        }
      )
    )
  })
})

describe("signingTimes", () => {
  const settings = (keyCacheTtlMs: number, keyLeadSeconds: number) =>
    AppConfig.make({ keyCacheTtlMs, oauth: { ...AppConfig.make().oauth, keyLeadSeconds } })

  it("defaults: a 10 minute lead, a JWKS cached 5 minutes at most, a 60 s tick", () => {
    const times = signingTimes(AppConfig.make())
    expect(times).toEqual({
      leadMs: 600_000,
      rotationMs: 30 * 86_400_000,
      tokenTtlMs: 900_000,
      jwksMaxAgeSeconds: 300,
      tickMs: 60_000
    })
  })

  it("never publishes a key for less than the key cache's TTL before it signs", () => {
    expect(signingTimes(settings(5000, 1)).leadMs).toBe(5000)
    // The set served may be a cache TTL old already: what remains of the lead is what others may keep it.
    expect(signingTimes(settings(5000, 1)).jwksMaxAgeSeconds).toBe(0)
    expect(signingTimes(settings(5000, 600)).jwksMaxAgeSeconds).toBe(300)
    expect(signingTimes(settings(5000, 60)).jwksMaxAgeSeconds).toBe(55)
    expect(signingTimes(settings(0, 1)).leadMs).toBe(1000)
    expect(signingTimes(settings(2500, 3)).leadMs).toBe(3000)
  })

  it("whatever the settings: lead ≥ the cache TTL and the configured lead, JWKS max-age + the cache TTL ≤ the lead, max-age ≤ 300 s (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 86_400 }), (ttl, lead) => {
        const times = signingTimes(settings(ttl, lead))
        expect(times.leadMs).toBeGreaterThanOrEqual(ttl)
        expect(times.leadMs).toBeGreaterThanOrEqual(lead * 1000)
        expect(times.jwksMaxAgeSeconds).toBeGreaterThanOrEqual(0)
        expect(times.jwksMaxAgeSeconds * 1000 + ttl).toBeLessThanOrEqual(times.leadMs)
        expect(times.jwksMaxAgeSeconds).toBeLessThanOrEqual(300)
        expect(Number.isInteger(times.jwksMaxAgeSeconds)).toBe(true)
        // The rotation job runs at least twice within a lead, and never more than twice a second.
        expect(times.tickMs).toBeGreaterThanOrEqual(500)
        expect(times.tickMs).toBeLessThanOrEqual(60_000)
        expect(times.tickMs).toBeLessThanOrEqual(Math.max(500, times.leadMs / 2))
      })
    )
  })
})
