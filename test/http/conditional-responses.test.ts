import { createHash } from "node:crypto"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TenantId } from "../../domain/tenant.ts"
import { fixtures as atlasFixtures } from "../../plugins/atlas-kitchen/fixtures/index.ts"
import { ByteBudgetCache } from "../../runtime/http/byte-budget-cache.ts"
import {
  chooseCoding,
  compressAbove,
  entityTag,
  notModified,
  parseIfNoneMatch
} from "../../runtime/http/conditional-response.ts"
import { openApiDocument } from "../../runtime/http/openapi-document.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

/**
 * ETag, If-None-Match and compression on the effective menu and the product list
 * (runtime/http/conditional-response.ts): the pure pieces first, then the answers over HTTP on every
 * storage adapter.
 */

describe("choosing a content coding from Accept-Encoding", () => {
  const large = compressAbove + 1
  const cases: ReadonlyArray<readonly [string | undefined, number, string]> = [
    [undefined, large, "identity"],
    ["", large, "identity"],
    ["gzip", large, "gzip"],
    ["br", large, "br"],
    ["gzip, deflate, br", large, "br"],
    ["br;q=0.5, gzip", large, "gzip"],
    ["br;q=0.5, gzip;q=0.4", large, "br"],
    ["gzip;q=0.5, deflate", large, "gzip"],
    ["GZIP;Q=0.8", large, "gzip"],
    ["x-gzip", large, "gzip"],
    ["deflate, compress", large, "identity"],
    ["gzip;q=0, br;q=0", large, "identity"],
    ["*", large, "br"],
    ["*;q=0.5, gzip", large, "gzip"],
    ["*;q=0", large, "identity"],
    ["*;q=0.5, identity", large, "identity"],
    // Identity not named weighs as the least weight given: acceptable, never preferred.
    ["gzip;q=0.3", large, "gzip"],
    ["gzip;q=0.3, identity;q=0.5", large, "identity"],
    ["gzip;q=0.3, identity;q=0.2", large, "gzip"],
    ["identity;q=0", large, "identity"],
    ["identity;q=0, gzip;q=0.1", large, "gzip"],
    // A weight out of range or not a number: that member is ignored.
    ["gzip;q=2", large, "identity"],
    ["gzip;q=abc, br", large, "br"],
    ["gzip;q=0.1234", large, "identity"],
    ["gzip;q=0.123", large, "gzip"],
    ["gzip;level=9", large, "gzip"],
    // A coding listed twice keeps its highest weight.
    ["br;q=0, br;q=0.9, gzip;q=0.5", large, "br"],
    // Small bodies go as they are, unless identity is refused.
    ["br, gzip", compressAbove, "identity"],
    ["br, gzip", 10, "identity"],
    ["identity;q=0, gzip", 10, "gzip"],
    ["*;q=0.1, identity;q=0", 10, "br"],
    ["identity;q=0", 10, "identity"]
  ]
  it.each(cases)("Accept-Encoding %j with a %d-byte body: %s", (header, size, expected) => {
    expect(chooseCoding(header, size)).toBe(expected)
  })

  it("never chooses a coding the header gives weight 0, and chooses identity for every header without br or gzip", () => {
    const member = fc.record({
      name: fc.constantFrom("br", "gzip", "x-gzip", "identity", "*", "deflate", "zstd"),
      q: fc.option(fc.constantFrom("0", "0.0", "0.5", "1", "1.000", "0.001"), { nil: undefined })
    })
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), fc.integer({ min: 0, max: 5000 }), (members, size) => {
        const header = members.map((m) => (m.q === undefined ? m.name : `${m.name};q=${m.q}`)).join(", ")
        const chosen = chooseCoding(header, size)
        // The model: each coding's highest weight, `*` for what is not listed, identity not named
        // acceptable (never at weight 0) and never above a coding that is named.
        const weights = new Map<string, number>()
        for (const m of members) {
          const name = m.name === "x-gzip" ? "gzip" : m.name
          weights.set(name, Math.max(weights.get(name) ?? 0, m.q === undefined ? 1 : Number(m.q)))
        }
        const positive = [...weights.values()].filter((w) => w > 0)
        const implicitIdentity = positive.length === 0 ? 1 : Math.min(...positive)
        const weight = (c: string) => weights.get(c) ?? weights.get("*") ?? (c === "identity" ? implicitIdentity : 0)
        if (chosen !== "identity") {
          expect(weight(chosen)).toBeGreaterThan(0)
          expect(weight(chosen)).toBeGreaterThanOrEqual(Math.max(weight("br"), weight("gzip")))
          if (weight("identity") > 0) {
            expect(size).toBeGreaterThan(compressAbove)
            expect(weight(chosen)).toBeGreaterThanOrEqual(weight("identity"))
          }
        } else if (weight("identity") === 0) {
          expect(Math.max(weight("br"), weight("gzip"))).toBe(0)
        } else if (size > compressAbove) {
          expect(Math.max(weight("br"), weight("gzip"))).toBeLessThan(weight("identity"))
        }
      })
    )
  })
})

describe("If-None-Match", () => {
  const hash = "SzVCkhAbFSBj4KPWpZjEb3EoT5v6Ha-c2SV8H9IwafY"

  it("reads a list of strong and weak tags (commas inside quotes too), `*`, and skips junk", () => {
    expect(parseIfNoneMatch('"a", W/"b" ,"c,d",junk, W/"", *')).toEqual({
      any: true,
      opaque: ['"a"', '"b"', '"c,d"', '""']
    })
    expect(parseIfNoneMatch('"a')).toEqual({ any: false, opaque: [] })
    expect(parseIfNoneMatch("")).toEqual({ any: false, opaque: [] })
    expect(parseIfNoneMatch(undefined)).toEqual({ any: false, opaque: [] })
    expect(parseIfNoneMatch("**")).toEqual({ any: false, opaque: [] })
    expect(parseIfNoneMatch('"a"b, "c" , W/"d"e,*x,"f"')).toEqual({ any: false, opaque: ['"c"', '"f"'] })
    expect(parseIfNoneMatch('"a,b"junk,"c"')).toEqual({ any: false, opaque: ['"c"'] })
  })

  it("matches the selected variant's tag or the identity tag, weakly, and nothing else", () => {
    expect(notModified(`"${hash}"`, hash, "identity")).toBe(true)
    expect(notModified(`"${hash}"`, hash, "br")).toBe(true)
    expect(notModified(`"${hash}-br"`, hash, "br")).toBe(true)
    expect(notModified(`W/"${hash}-br"`, hash, "br")).toBe(true)
    expect(notModified(`"${hash}-gzip"`, hash, "br")).toBe(false)
    expect(notModified(`"${hash}-br"`, hash, "identity")).toBe(false)
    expect(notModified(`"${hash.slice(1)}"`, hash, "identity")).toBe(false)
    expect(notModified(hash, hash, "identity")).toBe(false)
    expect(notModified(undefined, hash, "identity")).toBe(false)
    expect(notModified("*", hash, "gzip")).toBe(true)
  })

  it("finds the current tag wherever it is in a list of random tags, weak or strong, and only then", () => {
    const opaque = fc.stringMatching(/^[A-Za-z0-9_\-,/]{0,12}$/)
    fc.assert(
      fc.property(
        fc.array(fc.record({ weak: fc.boolean(), tag: opaque }), { maxLength: 5 }),
        fc.boolean(),
        fc.nat(5),
        fc.constantFrom("identity", "br", "gzip") as fc.Arbitrary<"identity" | "br" | "gzip">,
        fc.constantFrom(" ", "", "  ", "\t"),
        (others, include, at, coding, space) => {
          const tags = others.map((o) => `${o.weak ? "W/" : ""}"${o.tag}"`)
          if (include) tags.splice(Math.min(at, tags.length), 0, `W/${entityTag(hash, coding)}`)
          const expected = include || others.some((o) => o.tag === hash || o.tag === `${hash}-${coding}`)
          expect(notModified(tags.join(`${space},${space}`), hash, coding)).toBe(expected)
        }
      )
    )
  })
})

describe("the byte-budget cache (compressed variants, rendered answers)", () => {
  const bytes = (n: number) => new Uint8Array(n)
  const variantCache = (budget: number) => new ByteBudgetCache<Uint8Array>(budget, (_tag, value) => value.byteLength)

  it("keeps the most recently used variants within its budget", () => {
    const cache = variantCache(100)
    cache.set("a", bytes(40))
    cache.set("b", bytes(40))
    expect(cache.get("a")?.byteLength).toBe(40)
    cache.set("c", bytes(40))
    // "b" was the least recently used.
    expect(cache.get("b")).toBeUndefined()
    expect(cache.get("a")?.byteLength).toBe(40)
    expect(cache.get("c")?.byteLength).toBe(40)
    expect(cache.size).toBe(80)
    cache.set("c", bytes(10))
    expect(cache.size).toBe(50)
    // Larger than the whole budget: not kept, nothing evicted.
    cache.set("huge", bytes(101))
    expect(cache.get("huge")).toBeUndefined()
    expect(cache.size).toBe(50)
  })

  it("never holds more than its budget, whatever the sequence", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.nat(60))), (writes) => {
        const cache = variantCache(100)
        for (const [tag, n] of writes) {
          cache.set(tag, bytes(n))
          expect(cache.size).toBeLessThanOrEqual(100)
          expect(cache.get(tag)?.byteLength).toBe(n)
        }
      })
    )
  })

  it("a value it is told is not usable is not served and does not become the most recently used", () => {
    const cache = variantCache(100)
    cache.set("a", bytes(40))
    cache.set("b", bytes(40))
    expect(cache.get("a", () => false)).toBeUndefined()
    cache.set("c", bytes(40))
    // "a" stayed the least recently used, so it went.
    expect(cache.get("a")).toBeUndefined()
    expect(cache.get("b")?.byteLength).toBe(40)
  })
})

describe("the OpenAPI document of the conditional reads", () => {
  type Operation = {
    operationId: string
    description: string
    parameters?: Array<{ name: string; in: string; required?: boolean }>
    responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>
  }
  const document = openApiDocument({ basePath: "", baseDomain: "localhost" }) as unknown as {
    paths: Record<string, Record<string, Operation>>
  }
  const operations = Object.values(document.paths).flatMap((item) => Object.values(item))

  it("gives exactly the effective menu and the product list the 304, the validators and the request headers", () => {
    const conditional = operations.filter((o) => o.responses["304"] !== undefined).map((o) => o.operationId)
    expect(conditional.sort()).toEqual(["catalog.listProducts", "catalog.outletMenu"])
    for (const id of conditional) {
      const operation = operations.find((o) => o.operationId === id)!
      const headers = (operation.parameters ?? []).filter((p) => p.in === "header")
      expect(
        headers.map((p) => [p.name, p.required]),
        id
      ).toEqual([
        ["If-None-Match", false],
        ["Accept-Encoding", false]
      ])
      expect(Object.keys(operation.responses["200"]?.headers ?? {}).sort(), id).toEqual([
        "Cache-Control",
        "Content-Encoding",
        "ETag",
        "Vary"
      ])
      expect(Object.keys(operation.responses["304"]?.headers ?? {}).sort(), id).toEqual([
        "Cache-Control",
        "ETag",
        "Vary",
        "X-Request-Id"
      ])
      expect(operation.responses["304"]?.content, id).toBeUndefined()
      expect(operation.description, id).toContain("If-None-Match")
      expect(operation.description, id).toContain("Accept-Encoding")
    }
  })
})

const host = "acme.localhost"
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("base64url")

/** The Atlas Kitchen 2024 menu with Flat White (COF-FW) at another price, wherever it appears. */
const withFlatWhiteAt = (priceCents: number) => {
  const payload = structuredClone(atlasFixtures.catalogs[0]!.payload) as unknown
  let changed = 0
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child)
      return
    }
    if (node === null || typeof node !== "object") return
    const record = node as Record<string, unknown>
    if (record["sku"] === "COF-FW" && typeof record["price_cents"] === "number") {
      record["price_cents"] = priceCents
      changed++
    }
    for (const child of Object.values(record)) walk(child)
  }
  walk(payload)
  expect(changed).toBeGreaterThan(0)
  return payload
}

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`conditional and compressed reads over HTTP (${adapter.name})`, () => {
    let app: TestApp
    let posKey: string
    let partnerKey: string
    let outletId: string
    const tenant = "acme" as TenantId
    const catalog = atlasFixtures.catalogs[0]!
    const externalOutletId = catalog.context.externalOutletId
    const at = "2026-03-16T12:00:00+08:00"

    const sync = (payload: unknown) =>
      call(app, `/api/v1/products/sync?externalOutletId=${externalOutletId}`, {
        method: "POST",
        host,
        key: posKey,
        headers: { "content-type": "application/json", "x-provider": "atlas-kitchen" },
        body: JSON.stringify(payload)
      })
    const get = (path: string, headers: Record<string, string> = {}) =>
      call(app, path, { host, key: partnerKey, headers })
    const menuPath = () => `/api/v1/outlets/${outletId}/menu?at=${encodeURIComponent(at)}`
    const productsPath = () => `/api/v1/products?outletId=${outletId}`

    beforeAll(async () => {
      app = await makeTestApp(adapter.layer(), { settings: { posPlugins: ["@pos-integration/plugin-atlas-kitchen"] } })
      await app.createTenant({ id: tenant })
      posKey = (await app.issueKey(tenant, { kind: "pos" })).plaintext
      partnerKey = (await app.issueKey(tenant, { kind: "partner" })).plaintext
      const outlets = await call(app, "/api/v1/outlets/sync", {
        method: "POST",
        host,
        key: posKey,
        headers: { "content-type": "application/json", "x-provider": "atlas-kitchen" },
        body: JSON.stringify(atlasFixtures.outlets[0]!.payload)
      })
      expect(outlets.status).toBe(200)
      const body = (await outlets.json()) as { outlets: Array<{ outletId: string; externalId: string }> }
      outletId = body.outlets.find((o) => o.externalId === externalOutletId)!.outletId
      expect((await sync(catalog.payload)).status).toBe(200)
    }, 60_000)
    afterAll(() => app?.close())

    /** An uncompressed read: status, headers and the exact body bytes. */
    const read = async (path: string, headers: Record<string, string> = {}) => {
      const response = await get(path, headers)
      return { response, bytes: new Uint8Array(await response.arrayBuffer()) }
    }

    for (const [name, path] of [
      ["the outlet's menu", menuPath],
      ["the product list", productsPath]
    ] as const) {
      describe(name, () => {
        it("answers a strong ETag that is the SHA-256 of the body's bytes, the same for the same data", async () => {
          const first = await read(path())
          expect(first.response.status).toBe(200)
          expect(first.bytes.byteLength).toBeGreaterThan(compressAbove)
          expect(first.response.headers.get("content-type")).toContain("application/json")
          expect(first.response.headers.get("etag")).toBe(`"${sha256(first.bytes)}"`)
          expect(first.response.headers.get("vary")).toBe("Accept-Encoding")
          expect(first.response.headers.get("cache-control")).toBe("private, no-cache")
          expect(first.response.headers.get("content-encoding")).toBeNull()
          const second = await read(path())
          expect(second.response.headers.get("etag")).toBe(first.response.headers.get("etag"))
          expect(second.bytes).toEqual(first.bytes)
        })

        it("answers 304 with no body to a matching If-None-Match: one tag, a list, a weak tag, `*`", async () => {
          const { response, bytes } = await read(path())
          const tag = response.headers.get("etag")!
          for (const header of [tag, `"stale", ${tag}`, `W/${tag}`, `W/"x",W/${tag}`, "*"]) {
            const notModified = await get(path(), { "if-none-match": header, "x-request-id": "probe-1" })
            expect(notModified.status, header).toBe(304)
            expect(await notModified.text(), header).toBe("")
            expect(notModified.headers.get("etag"), header).toBe(tag)
            expect(notModified.headers.get("vary"), header).toBe("Accept-Encoding")
            expect(notModified.headers.get("cache-control"), header).toBe("private, no-cache")
            expect(notModified.headers.get("x-request-id"), header).toBe("probe-1")
            expect(notModified.headers.get("content-type"), header).toBeNull()
            expect(notModified.headers.get("content-encoding"), header).toBeNull()
          }
          // Other tags: the whole body again.
          for (const header of ['"stale"', `"${sha256(bytes).slice(2)}"`, `${tag}x`, `"${sha256(bytes)}-br"`]) {
            const full = await read(path(), { "if-none-match": header })
            expect(full.response.status, header).toBe(200)
            expect(full.bytes, header).toEqual(bytes)
          }
        })

        it("compresses with gzip or br as Accept-Encoding asks, to exactly the identity bytes, each with its own tag", async () => {
          const identity = await read(path())
          const tag = identity.response.headers.get("etag")!
          const hash = tag.slice(1, -1)
          const decoders = { gzip: gunzipSync, br: brotliDecompressSync }
          for (const [accept, coding] of [
            ["gzip", "gzip"],
            ["br", "br"],
            ["gzip, deflate, br", "br"],
            ["br;q=0.2, gzip;q=0.9", "gzip"],
            ["identity;q=0, x-gzip", "gzip"],
            ["*", "br"]
          ] as const) {
            const { response, bytes } = await read(path(), { "accept-encoding": accept })
            expect(response.status, accept).toBe(200)
            expect(response.headers.get("content-encoding"), accept).toBe(coding)
            expect(response.headers.get("vary"), accept).toBe("Accept-Encoding")
            expect(response.headers.get("etag"), accept).toBe(`"${hash}-${coding}"`)
            expect(bytes.byteLength, accept).toBeLessThan(identity.bytes.byteLength)
            expect(new Uint8Array(decoders[coding](bytes)), accept).toEqual(identity.bytes)
            // The compressed variant revalidates with its own tag or the identity one, not another coding's.
            for (const [header, status] of [
              [`"${hash}-${coding}"`, 304],
              [tag, 304],
              [`"${hash}-${coding === "br" ? "gzip" : "br"}"`, 200]
            ] as const) {
              const again = await get(path(), { "accept-encoding": accept, "if-none-match": header })
              expect(again.status, `${accept} / ${header}`).toBe(status)
              if (status === 304) expect(again.headers.get("etag")).toBe(`"${hash}-${coding}"`)
              else expect(again.headers.get("content-encoding")).toBe(coding)
            }
          }
          for (const accept of ["", "gzip;q=0, br;q=0", "identity;q=0", "*;q=0", "deflate", "gzip;q=7"]) {
            const { response, bytes } = await read(path(), { "accept-encoding": accept })
            expect(response.headers.get("content-encoding"), accept).toBeNull()
            expect(response.headers.get("etag"), accept).toBe(tag)
            expect(response.headers.get("vary"), accept).toBe("Accept-Encoding")
            expect(bytes, accept).toEqual(identity.bytes)
          }
        })
      })
    }

    it("sends a body of 1 KiB or less uncompressed (with Vary), unless identity is refused", async () => {
      const emptyPage = `/api/v1/products?updatedSince=${encodeURIComponent("2999-01-01T00:00:00Z")}`
      const plain = await read(emptyPage, { "accept-encoding": "br, gzip" })
      expect(plain.response.status).toBe(200)
      expect(new TextDecoder().decode(plain.bytes)).toBe('{"data":[],"nextCursor":null}')
      expect(plain.response.headers.get("content-encoding")).toBeNull()
      expect(plain.response.headers.get("vary")).toBe("Accept-Encoding")
      expect(plain.response.headers.get("etag")).toBe(`"${sha256(plain.bytes)}"`)
      const refused = await read(emptyPage, { "accept-encoding": "identity;q=0, gzip" })
      expect(refused.response.headers.get("content-encoding")).toBe("gzip")
      expect(new Uint8Array(gunzipSync(refused.bytes))).toEqual(plain.bytes)
    })

    it("changes the ETag when a sync changes a price, and a stale tag gets the new body", async () => {
      const menuBefore = await read(menuPath())
      const productsBefore = await read(productsPath())
      const menuTag = menuBefore.response.headers.get("etag")!
      const productsTag = productsBefore.response.headers.get("etag")!

      expect((await sync(withFlatWhiteAt(612))).status).toBe(200)
      const menuAfter = await read(menuPath(), { "if-none-match": menuTag })
      const productsAfter = await read(productsPath(), { "if-none-match": productsTag })
      for (const [before, after] of [
        [menuBefore, menuAfter],
        [productsBefore, productsAfter]
      ] as const) {
        expect(after.response.status).toBe(200)
        expect(after.response.headers.get("etag")).not.toBe(before.response.headers.get("etag"))
        expect(after.response.headers.get("etag")).toBe(`"${sha256(after.bytes)}"`)
        expect(new TextDecoder().decode(after.bytes)).toContain('"amount":612')
        expect(new TextDecoder().decode(before.bytes)).not.toContain('"amount":612')
      }
      // A sync that changes nothing rewrites nothing: the tags stay.
      expect((await sync(withFlatWhiteAt(612))).status).toBe(200)
      expect((await get(menuPath(), { "if-none-match": menuAfter.response.headers.get("etag")! })).status).toBe(304)
      expect((await get(productsPath(), { "if-none-match": productsAfter.response.headers.get("etag")! })).status).toBe(
        304
      )
    })

    it("answers errors as before: the envelope, uncompressed, with no ETag, whatever the conditional headers", async () => {
      const unknown = "out_00000000000000000000000000000000"
      for (const [path, status] of [
        [`/api/v1/outlets/${unknown}/menu`, 404],
        [`/api/v1/outlets/${outletId}/menu?at=yesterday`, 400],
        ["/api/v1/products?outletId=out_9", 404],
        ["/api/v1/products?limit=0", 400]
      ] as const) {
        const response = await get(path, {
          "if-none-match": "*",
          "accept-encoding": "br, gzip",
          "x-request-id": "err-1"
        })
        expect(response.status, path).toBe(status)
        expect(response.headers.get("etag"), path).toBeNull()
        expect(response.headers.get("content-encoding"), path).toBeNull()
        expect(response.headers.get("x-request-id"), path).toBe("err-1")
        const body = (await response.json()) as { error: { code: number; message: string; details: string } }
        expect(body.error.code, path).toBe(status)
        expect(body.error.details, path).toMatch(/\S/)
      }
      // Without a key the 401 is the same bytes as everywhere.
      const anonymous = await call(app, menuPath(), { host, headers: { "if-none-match": "*" } })
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get("etag")).toBeNull()
    })
  })
}
