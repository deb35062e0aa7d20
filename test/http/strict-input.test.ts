import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TenantId } from "../../domain/tenant.ts"
import demoOutlets from "../../runtime/demo/demo-outlets.deliverect.json" with { type: "json" }
import { freshTenantId } from "../storage/contract.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { startApp } from "./support/harness.ts"

/** `<body|query|path|header>.<path>: <what is wrong>[, got <value>]`, several joined by `; `. */
const detailStyle =
  /^(body|query|path|header)(\.[A-Za-z0-9_$-]+|\[\d+\]|\["[^"]*"\])*: [^;]+(; (body|query|path|header)\S*: [^;]+)*$/

interface Envelope {
  error: { code: number; message: string; details: string }
}

const adapters = storageAdapters()

for (const adapter of adapters) {
  const suite = adapter.available ? describe : describe.skip
  suite(`strict input (${adapter.name})`, () => {
    let app: TestApp
    let tenant: TenantId
    let key: string
    let posKey: string
    beforeAll(async () => {
      app = await makeTestApp(adapter.layer())
      tenant = freshTenantId("si")
      await app.createTenant({ id: tenant, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
      key = (await app.issueKey(tenant, { kind: "partner", name: "partner" })).plaintext
      posKey = (await app.issueKey(tenant, { kind: "pos", name: "pos" })).plaintext
    }, 60_000)
    afterAll(() => app?.close())

    const get = (path: string) => call(app, path, { host: `${tenant}.localhost`, key })
    const post = (path: string, body: string, as = key, headers: Record<string, string> = {}) =>
      call(app, path, {
        method: "POST",
        host: `${tenant}.localhost`,
        key: as,
        headers: { "content-type": "application/json", ...headers },
        body
      })
    /** A 400 envelope whose details are in our one style; answers the details. */
    const refused = async (response: Response): Promise<string> => {
      const body = (await response.json()) as Envelope
      expect({ status: response.status, message: body.error.message }).toEqual({
        status: 400,
        message: "invalid request"
      })
      expect(body.error.code).toBe(400)
      expect(body.error.details).toMatch(detailStyle)
      expect(body.error.details).not.toMatch(/Expected|Missing key|at \[|Schema|Objects/)
      return body.error.details
    }

    describe("text PostgreSQL cannot store is a 400 naming the field, on every storage", () => {
      it("a NUL in a path id", async () => {
        expect(await refused(await get("/api/v1/customers/%00"))).toBe(
          'path.customerId: contains a NUL character, got "\\u0000"'
        )
        expect(await refused(await get("/api/v1/products/a%00b"))).toMatch(/^path\.productId: contains a NUL/)
      })

      it("a NUL in a query value, the cursor included", async () => {
        expect(await refused(await get("/api/v1/products?outletId=%00"))).toMatch(/^query\.outletId: contains a NUL/)
        expect(await refused(await get("/api/v1/products?cursor=%00"))).toMatch(/^query\.cursor: contains a NUL/)
        expect(await refused(await get("/api/v1/customers?email=a%00b"))).toMatch(/^query\.email: contains a NUL/)
      })

      it("malformed percent-encoding, which would otherwise be read as U+FFFD", async () => {
        expect(await refused(await get("/api/v1/customers?phone=%ED%A0%80"))).toBe(
          'query.phone: is not valid percent-encoded UTF-8, got "%ED%A0%80"'
        )
        expect(await refused(await get("/api/v1/customers/%E0%A4%A"))).toBe(
          'path: is not valid percent-encoded UTF-8, got "/api/v1/customers/%E0%A4%A"'
        )
      })

      it("a NUL or a lone surrogate in a body string, and nothing is stored", async () => {
        expect(await refused(await post("/api/v1/customers", '{"name":"a\\u0000b","phone":"+6591110001"}'))).toBe(
          'body.name: contains a NUL character, got "a\\u0000b"'
        )
        expect(await refused(await post("/api/v1/customers", '{"name":"\\ud800x","phone":"+6591110001"}'))).toBe(
          'body.name: contains a lone surrogate (not valid Unicode), got "\\ud800x"'
        )
        expect(await refused(await post("/api/v1/customers", '{"name":"x\\udc00","phone":"+6591110001"}'))).toMatch(
          /^body\.name: contains a lone surrogate/
        )
        const lookup = await get(`/api/v1/customers?phone=${encodeURIComponent("+6591110001")}`)
        expect(((await lookup.json()) as { data: Array<unknown> }).data).toEqual([])
      })

      it("accepts surrogate pairs, escaped backslashes and non-ASCII text", async () => {
        const name = "Mei 😀 \\u0000 é 中"
        const response = await post("/api/v1/customers", JSON.stringify({ name, phone: "+6591110002" }))
        expect(response.status).toBe(201)
        expect(((await response.json()) as { name: string }).name).toBe(name)
        const escaped = await post("/api/v1/customers", '{"name":"\\ud83d\\ude00 \\u00e9","phone":"+6591110003"}')
        expect(escaped.status).toBe(201)
        expect(((await escaped.json()) as { name: string }).name).toBe("😀 é")
      })

      it("a body that is not UTF-8", async () => {
        const bytes = new Uint8Array([
          ...Buffer.from('{"name":"'),
          0xff,
          0xfe,
          ...Buffer.from('","phone":"+6591110004"}')
        ])
        const response = await call(app, "/api/v1/customers", {
          method: "POST",
          host: `${tenant}.localhost`,
          key,
          headers: { "content-type": "application/json" },
          body: bytes
        })
        expect(await refused(response)).toBe("body: is not valid UTF-8")
      })

      it("a NUL in a POS payload names the payload path", async () => {
        const response = await post(
          "/api/v1/outlets/sync",
          JSON.stringify({ stores: [{ name: "ok" }, { name: "bad\u0000" }] }),
          posKey,
          { "x-provider": "deliverect" }
        )
        expect(await refused(response)).toBe('body.stores[1].name: contains a NUL character, got "bad\\u0000"')
      })

      it("a key given twice in one object is a 400, and nothing is stored; a POS payload's is the vendor's", async () => {
        expect(
          await refused(await post("/api/v1/customers", '{"name":"Mei","phone":"+6591110005","name":"Ling"}'))
        ).toBe("body: has the key 'name' more than once (one value each)")
        // Escapes are read as JSON reads them: \u006e\u0061me is name.
        expect(
          await refused(await post("/api/v1/customers", '{"name":"Mei","phone":"+6591110005","\\u006e\\u0061me":"x"}'))
        ).toBe("body: has the key 'name' more than once (one value each)")
        const lookup = await get(`/api/v1/customers?phone=${encodeURIComponent("+6591110005")}`)
        expect(((await lookup.json()) as { data: Array<unknown> }).data).toEqual([])
        // The same key in two objects is no repeat.
        const fine = await post("/api/v1/customers", '{"name":"Mei","phone":"+6591110005","marketingOptIn":false}')
        expect(fine.status).toBe(201)
        // A POS push is the vendor's format: not refused for a repeat (the payload is read as the vendor wrote it).
        const push = await post(
          "/api/v1/outlets/sync",
          JSON.stringify(demoOutlets).replace("{", '{"ignoredByUs":1,"ignoredByUs":2,'),
          posKey,
          { "x-provider": "deliverect" }
        )
        expect(push.status).not.toBe(400)
      })

      it("a body nested deeper than 64 levels is a 400 (100,000 levels used to overflow the stack: a 500), POS pushes too", async () => {
        const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
        for (const depth of [65, 100_000]) {
          expect(await refused(await post("/api/v1/customers", nested(depth)))).toBe(
            "body: nests arrays and objects more than 64 deep"
          )
          expect(
            await refused(await post("/api/v1/customers", `{"name":"Mei","phone":"+6591110006","x":${nested(depth)}}`))
          ).toBe("body: nests arrays and objects more than 64 deep")
          const push = await post("/api/v1/outlets/sync", nested(depth), posKey, { "x-provider": "deliverect" })
          expect(await refused(push)).toBe("body: nests arrays and objects more than 64 deep")
        }
        // Brackets inside strings are text, not nesting.
        const brackets = await post(
          "/api/v1/customers",
          JSON.stringify({ name: "[".repeat(150), phone: "+6591110006" })
        )
        expect(brackets.status).toBe(201)
        // 64 levels are read as usual (here refused by the schema, not the depth).
        expect(await refused(await post("/api/v1/customers", nested(64)))).not.toContain("deep")
      })

      it("a NUL in a field name", async () => {
        expect(await refused(await post("/api/v1/customers", '{"name":"a","a\\u0000":1}'))).toBe(
          'body["a\\u0000"]: the field name contains a NUL character'
        )
      })
    })
  })
}

describe("strict input on our own formats", () => {
  const memory = adapters.find((adapter) => adapter.name === "memory")!
  let app: TestApp
  let tenant: TenantId
  let key: string
  beforeAll(async () => {
    app = await makeTestApp(memory.layer())
    tenant = freshTenantId("sj")
    await app.createTenant({ id: tenant, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
    key = (await app.issueKey(tenant, { kind: "partner", name: "partner" })).plaintext
  }, 60_000)
  afterAll(() => app?.close())

  const get = (path: string) => call(app, path, { host: `${tenant}.localhost`, key })
  const post = (path: string, body: unknown) =>
    call(app, path, {
      method: "POST",
      host: `${tenant}.localhost`,
      key,
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })
  const details = async (response: Response) => {
    expect(response.status).toBe(400)
    const body = (await response.json()) as Envelope
    expect(body.error.message).toBe("invalid request")
    expect(body.error.details).toMatch(detailStyle)
    return body.error.details
  }

  it("an unknown body field is a 400 naming it and the closest known name", async () => {
    expect(
      await details(await post("/api/v1/customers", { name: "A", phone: "+6590001111", marketingOptin: true }))
    ).toBe("body.marketingOptin: is not a known field (did you mean 'marketingOptIn'?), got true")
    expect(await details(await post("/api/v1/customers", { name: "A", phone: "+6590001111", zzz: 1 }))).toBe(
      "body.zzz: is not a known field, got 1"
    )
  })

  it("an unknown query parameter is a 400 naming it and the closest known name", async () => {
    expect(await details(await get("/api/v1/products?outletid=out_1"))).toBe(
      "query.outletid: is not a known parameter (did you mean 'outletId'?), got \"out_1\""
    )
    expect(await details(await get("/api/v1/auth/whoami?debug=1"))).toBe(
      'query.debug: is not a known parameter, got "1"'
    )
  })

  it("a date-time that does not exist is refused, not rolled over to another day", async () => {
    expect(await details(await get("/api/v1/products?updatedSince=2027-02-30T00:00:00Z"))).toBe(
      'query.updatedSince: expected an RFC 3339 date-time, got "2027-02-30T00:00:00Z"'
    )
    expect(await details(await get("/api/v1/products?updatedSince=2027-02-28T24:00:00Z"))).toMatch(
      /^query\.updatedSince/
    )
    expect((await get("/api/v1/products?updatedSince=2027-02-28T23:00:00%2B08:00")).status).toBe(200)
  })

  it("a repeated scalar parameter is a 400", async () => {
    expect(await details(await get("/api/v1/outlets?limit=1&limit=2"))).toBe(
      'query.limit: must be given once, got ["1","2"]'
    )
  })

  it("integers are plain decimal digits", async () => {
    for (const raw of ["0x10", "1.0", "%20%205", "1e2", "+5", "abc", ""]) {
      const text = await details(await get(`/api/v1/outlets?limit=${raw}`))
      expect(text).toMatch(/^query\.limit: expected an integer in plain decimal digits, got /)
    }
    expect((await get("/api/v1/outlets?limit=5")).status).toBe(200)
  })

  it("a missing body is named in our words, not the library's", async () => {
    expect(await details(await post("/api/v1/customers", ""))).toBe("body: expected a JSON object, got nothing")
    expect(await details(await post("/api/v1/loyalty/earn", { customerId: "c" }))).toBe(
      "body.amount: is required; body.refCode: is required"
    )
  })

  it("cursors are opaque: garbage, a raw id, another listing's or other filters' cursor are 400s", async () => {
    const posKey = (await app.issueKey(tenant, { kind: "pos", name: "pos" })).plaintext
    const synced = await call(app, "/api/v1/outlets/sync", {
      method: "POST",
      host: `${tenant}.localhost`,
      key: posKey,
      headers: { "content-type": "application/json", "x-provider": "deliverect" },
      body: JSON.stringify(demoOutlets)
    })
    expect(synced.status).toBe(200)
    const first = (await (await get("/api/v1/outlets?limit=1")).json()) as {
      data: Array<{ outletId: string }>
      nextCursor: string
    }
    expect(first.nextCursor).not.toContain(first.data[0]!.outletId)
    const second = (await (await get(`/api/v1/outlets?limit=1&cursor=${first.nextCursor}`)).json()) as {
      data: Array<{ outletId: string }>
    }
    expect(second.data[0]!.outletId).not.toBe(first.data[0]!.outletId)

    expect(await details(await get("/api/v1/outlets?cursor=garbage"))).toBe(
      'query.cursor: is not a cursor this API issued (pass nextCursor back unchanged), got "garbage"'
    )
    expect(await details(await get(`/api/v1/outlets?cursor=${first.data[0]!.outletId}`))).toMatch(
      /^query\.cursor: is not a cursor this API issued/
    )
    const forged = Buffer.from(JSON.stringify([1, "outlets", "[false]", "\u0000"])).toString("base64url")
    expect(await details(await get(`/api/v1/outlets?cursor=${forged}`))).toMatch(
      /^query\.cursor: is not a cursor this API issued, got /
    )
    expect(await details(await get(`/api/v1/products?cursor=${first.nextCursor}`))).toMatch(
      /^query\.cursor: belongs to another listing \(outlets\), got /
    )
    expect(await details(await get(`/api/v1/outlets?includeInactive=true&cursor=${first.nextCursor}`))).toMatch(
      /^query\.cursor: was issued for other filters/
    )
  })

  it("a wrong type shows the value, cut short", async () => {
    const text = await details(await post("/api/v1/customers", { name: "x".repeat(300), phone: 5 }))
    expect(text).toContain('body.name: expected a value with a length of at most 200, got "xxxxxxxx')
    expect(text).toContain("...")
    expect(text).toContain("body.phone: expected a string or null, got 5")
  })
})

describe("vendor formats stay tolerant", () => {
  const memory = adapters.find((adapter) => adapter.name === "memory")!
  let app: TestApp
  let key: string
  beforeAll(async () => {
    app = await startApp(memory.layer)
    await app.createTenant({ id: "vendor" as TenantId, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
    key = (await app.issueKey("vendor" as TenantId, { kind: "partner", name: "partner" })).plaintext
  }, 60_000)
  afterAll(() => app?.close())

  const get = (path: string) => call(app, path, { host: "vendor.localhost", key })

  it("an endpoint of a vendor's format ignores query parameters it does not read, still refusing NUL", async () => {
    const tolerated = await get("/api/v1/test/vendor?known=a&signature=x&ts=1&ts=2")
    expect(tolerated.status).toBe(200)
    expect(await tolerated.json()).toEqual({ known: "a" })
    expect((await get("/api/v1/test/vendor?extra=%00")).status).toBe(400)
  })

  it("the same parameters on one of our own formats are refused", async () => {
    expect((await get("/api/v1/test/any-of?signature=x")).status).toBe(400)
  })
})
