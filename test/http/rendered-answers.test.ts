import { describe, expect, it } from "vitest"
import { renderedBody } from "../../runtime/http/conditional-response.ts"
import { RenderedAnswers } from "../../runtime/http/rendered-answers.ts"

const body = (size: number) => renderedBody(JSON.stringify("x".repeat(size)))
/** What an entry weighs: its bytes, and its text and key as UTF-16. */
const t = new Date("2026-03-01T12:00:00Z")
const weight = (b: ReturnType<typeof body>, key: string) => b.bytes.byteLength + 2 * (b.json.length + key.length)

describe("rendered answers", () => {
  it("serves an answer only under the key it was kept with, one per slot", () => {
    const cache = new RenderedAnswers(1_000_000)
    const a = body(10)
    cache.set("outlet-1", "k1", a)
    expect(cache.get("outlet-1", "k1", t)).toBe(a)
    expect(cache.get("outlet-1", "k2", t)).toBeUndefined()
    expect(cache.get("outlet-2", "k1", t)).toBeUndefined()
    const b = body(20)
    cache.set("outlet-1", "k2", b)
    expect(cache.get("outlet-1", "k1", t)).toBeUndefined()
    expect(cache.get("outlet-1", "k2", t)).toBe(b)
    expect(cache.size).toBe(weight(b, "k2"))
  })

  it("serves an answer only for instants from its first to before its last (null: unbounded)", () => {
    const cache = new RenderedAnswers(1_000_000)
    const a = body(10)
    const from = new Date(t.getTime() - 60_000)
    const until = new Date(t.getTime() + 60_000)
    cache.set("outlet-1", "k", a, from, until)
    expect(cache.get("outlet-1", "k", t)).toBe(a)
    expect(cache.get("outlet-1", "k", from)).toBe(a)
    expect(cache.get("outlet-1", "k", new Date(from.getTime() - 1))).toBeUndefined()
    expect(cache.get("outlet-1", "k", new Date(until.getTime() - 1))).toBe(a)
    expect(cache.get("outlet-1", "k", until)).toBeUndefined()
    cache.set("outlet-1", "k", a, null, until)
    expect(cache.get("outlet-1", "k", new Date(0))).toBe(a)
    expect(cache.get("outlet-1", "k", until)).toBeUndefined()
    cache.set("outlet-1", "k", a, from, null)
    expect(cache.get("outlet-1", "k", new Date(8.64e15))).toBe(a)
    expect(cache.get("outlet-1", "k", new Date(from.getTime() - 1))).toBeUndefined()
  })

  it("keeps within its budget, least recently used out first, and never keeps an answer larger than it", () => {
    const one = body(100)
    const budget = 2 * weight(one, "k") + 10
    const cache = new RenderedAnswers(budget)
    cache.set("a", "k", one)
    cache.set("b", "k", body(100))
    expect(cache.get("a", "k", t)).toBe(one)
    cache.set("c", "k", body(100))
    expect(cache.get("b", "k", t)).toBeUndefined()
    expect(cache.get("a", "k", t)).toBe(one)
    expect(cache.get("c", "k", t)).toBeDefined()
    expect(cache.size).toBeLessThanOrEqual(budget)
    cache.set("a", "k2", body(budget))
    expect(cache.get("a", "k", t)).toBeUndefined()
    expect(cache.get("a", "k2", t)).toBeUndefined()
    expect(cache.size).toBe(weight(body(100), "k"))
  })

  it("hashes and encodes a body once: the tag is the SHA-256 of its UTF-8 bytes", () => {
    const rendered = renderedBody('{"name":"Café"}')
    expect(new TextDecoder().decode(rendered.bytes)).toBe('{"name":"Café"}')
    expect(rendered.bytes.byteLength).toBe(16)
    expect(rendered.hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})
