import { describe, expect, it } from "vitest"
import { renderedBody } from "../../runtime/http/conditional-response.ts"
import { RenderedAnswers } from "../../runtime/http/effective-menu-answer.ts"

const body = (size: number) => renderedBody(JSON.stringify("x".repeat(size)))
/** What an entry weighs: its bytes, and its text and key as UTF-16. */
const weight = (b: ReturnType<typeof body>, key: string) => b.bytes.byteLength + 2 * (b.json.length + key.length)

describe("rendered answers", () => {
  it("serves an answer only under the key it was kept with, one per slot", () => {
    const cache = new RenderedAnswers(1_000_000)
    const a = body(10)
    cache.set("outlet-1", "k1", a)
    expect(cache.get("outlet-1", "k1")).toBe(a)
    expect(cache.get("outlet-1", "k2")).toBeUndefined()
    expect(cache.get("outlet-2", "k1")).toBeUndefined()
    const b = body(20)
    cache.set("outlet-1", "k2", b)
    expect(cache.get("outlet-1", "k1")).toBeUndefined()
    expect(cache.get("outlet-1", "k2")).toBe(b)
    expect(cache.size).toBe(weight(b, "k2"))
  })

  it("keeps within its budget, least recently used out first, and never keeps an answer larger than it", () => {
    const one = body(100)
    const budget = 2 * weight(one, "k") + 10
    const cache = new RenderedAnswers(budget)
    cache.set("a", "k", one)
    cache.set("b", "k", body(100))
    expect(cache.get("a", "k")).toBe(one)
    cache.set("c", "k", body(100))
    expect(cache.get("b", "k")).toBeUndefined()
    expect(cache.get("a", "k")).toBe(one)
    expect(cache.get("c", "k")).toBeDefined()
    expect(cache.size).toBeLessThanOrEqual(budget)
    cache.set("a", "k2", body(budget))
    expect(cache.get("a", "k")).toBeUndefined()
    expect(cache.get("a", "k2")).toBeUndefined()
    expect(cache.size).toBe(weight(body(100), "k"))
  })

  it("hashes and encodes a body once: the tag is the SHA-256 of its UTF-8 bytes", () => {
    const rendered = renderedBody('{"name":"Café"}')
    expect(new TextDecoder().decode(rendered.bytes)).toBe('{"name":"Café"}')
    expect(rendered.bytes.byteLength).toBe(16)
    expect(rendered.hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})
