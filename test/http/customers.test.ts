import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TenantId } from "../../domain/tenant.ts"
import { freshTenantId } from "../storage/contract.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`customers over HTTP (${adapter.name})`, () => {
    let app: TestApp
    let tenant: TenantId
    let other: TenantId
    let key: string
    let otherKey: string
    let readOnly: string
    beforeAll(async () => {
      app = await makeTestApp(adapter.layer())
      tenant = freshTenantId("cu")
      other = freshTenantId("cv")
      await app.createTenant({ id: tenant, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
      await app.createTenant({ id: other, country: "NL", currency: "EUR", timezone: "Europe/Amsterdam" })
      key = (await app.issueKey(tenant, { kind: "partner", name: "partner" })).plaintext
      otherKey = (await app.issueKey(other, { kind: "partner", name: "partner" })).plaintext
      readOnly = (await app.issueKey(tenant, { kind: "partner", name: "reader", scopes: ["customers:read"] })).plaintext
    }, 60_000)
    afterAll(() => app?.close())

    const post = (body: unknown, as = key, host = tenant) =>
      call(app, "/api/v1/customers", {
        method: "POST",
        host: `${host}.localhost`,
        key: as,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    const get = (path: string, as = key, host = tenant) => call(app, path, { host: `${host}.localhost`, key: as })

    it("creates with 201, normalising the phone to E.164 with the tenant's country and the email to lower case", async () => {
      const response = await post({ name: "Mei Ling", phone: "9123 4567", email: "Mei@Example.COM" })
      expect(response.status).toBe(201)
      const body = (await response.json()) as Record<string, unknown>
      expect(body).toMatchObject({
        externalId: null,
        name: "Mei Ling",
        phone: "+6591234567",
        email: "mei@example.com",
        marketingOptIn: false
      })
      expect(body["customerId"]).toMatch(/^cus_[0-9a-f]{32}$/)
      expect(body["createdAt"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      const fetched = await get(`/api/v1/customers/${body["customerId"]}`)
      expect(await fetched.json()).toEqual(body)
    })

    it("updates with 200 when the phone matches in another notation, keeping fields the request leaves out", async () => {
      const created = (await (await post({ name: "Tan", phone: "+65 8123 4567", email: "tan@x.sg" })).json()) as {
        customerId: string
      }
      const response = await post({ name: "Tan Ah Kow", phone: "81234567", marketingOptIn: true })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({
        customerId: created.customerId,
        name: "Tan Ah Kow",
        phone: "+6581234567",
        email: "tan@x.sg",
        marketingOptIn: true
      })
    })

    it("matches by externalId first, and an externalId that matches nobody creates a customer", async () => {
      const first = await post({ externalId: "jz-1", name: "A", phone: "+6590000001" })
      expect(first.status).toBe(201)
      const second = await post({ externalId: "jz-2", name: "B", phone: "+6590000001" })
      expect(second.status).toBe(201)
      const again = await post({ externalId: "jz-1", name: "A2", email: "a@x.sg" })
      expect(again.status).toBe(200)
      const a = (await first.json()) as { customerId: string }
      expect(await again.json()).toMatchObject({ customerId: a.customerId, name: "A2", email: "a@x.sg" })
      const byPhone = await get(`/api/v1/customers?phone=${encodeURIComponent("+65 9000 0001")}`)
      const list = (await byPhone.json()) as { data: Array<{ externalId: string }>; nextCursor: null }
      expect(list.data.map((c) => c.externalId)).toEqual(["jz-1", "jz-2"])
      expect(list.nextCursor).toBeNull()
    })

    it("falls back to the email when no phone matches", async () => {
      const created = (await (await post({ name: "E", email: "only@x.sg" })).json()) as { customerId: string }
      const response = await post({ name: "E2", email: "ONLY@x.sg", phone: "+6590000077" })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ customerId: created.customerId, phone: "+6590000077" })
    })

    it("looks customers up by phone (a raw + in the query included), email and externalId", async () => {
      await post({ externalId: "look-1", name: "L", phone: "+6590001234", email: "look@x.sg" })
      for (const query of ["phone=+6590001234", "phone=90001234", "email=LOOK%40x.sg", "externalId=look-1"]) {
        const response = await get(`/api/v1/customers?${query}`)
        expect(response.status, query).toBe(200)
        const body = (await response.json()) as { data: Array<{ externalId: string }> }
        expect(
          body.data.map((c) => c.externalId),
          query
        ).toEqual(["look-1"])
      }
      expect(await (await get("/api/v1/customers?email=nobody%40x.sg")).json()).toEqual({ data: [], nextCursor: null })
    })

    it("refuses unparseable phones and emails, a customer with nothing to match on, and bad lookups with 400", async () => {
      const cases: Array<[unknown, string]> = [
        [{ name: "X", phone: "12" }, "body.phone"],
        [{ name: "X", phone: "not a phone" }, "body.phone"],
        [{ name: "X", phone: "+1 555 0100 9999 9999" }, "body.phone"],
        [{ name: "X", email: "no-at-sign" }, "body.email"],
        [{ name: "X", email: "a@b" }, "body.email"],
        [{ name: "X" }, "externalId, a phone or an email"],
        [{ name: "", email: "x@y.sg" }, "name"],
        [{ email: "x@y.sg" }, "name"],
        [{ name: "X", email: "x@y.sg", marketingOptIn: "yes" }, "marketingOptIn"],
        [{ name: "X", email: "x@y.sg", refCode: "bad code!" }, "refCode"]
      ]
      for (const [body, mention] of cases) {
        const response = await post(body)
        expect(response.status, JSON.stringify(body)).toBe(400)
        const envelope = (await response.json()) as { error: { code: number; message: string; details: string } }
        expect(envelope.error.code).toBe(400)
        expect(envelope.error.message).toBe("invalid request")
        expect(envelope.error.details, JSON.stringify(body)).toContain(mention)
      }
      for (const query of ["", "?phone=abc", "?email=nope", "?phone=%2B6590000001&email=a%40x.sg"]) {
        expect((await get(`/api/v1/customers${query}`)).status, query).toBe(400)
      }
    })

    it("answers 404 in the envelope for an unknown customer, and never shows another tenant's customers", async () => {
      const created = (await (await post({ name: "Mine", externalId: "iso-1", phone: "+6590009999" })).json()) as {
        customerId: string
      }
      const missing = await get("/api/v1/customers/cus_nope")
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({
        error: { code: 404, message: "customer not found", details: "no customer with id 'cus_nope' in this tenant" }
      })
      expect((await get(`/api/v1/customers/${created.customerId}`, otherKey, other)).status).toBe(404)
      const lookup = await get("/api/v1/customers?externalId=iso-1", otherKey, other)
      expect(await lookup.json()).toEqual({ data: [], nextCursor: null })
    })

    it("needs customers:write to upsert and customers:read to read", async () => {
      expect((await post({ name: "X", email: "w@x.sg" }, readOnly)).status).toBe(403)
      expect((await get("/api/v1/customers?email=w%40x.sg", readOnly)).status).toBe(200)
      const pos = (await app.issueKey(tenant, { kind: "pos", name: "pos" })).plaintext
      expect((await get("/api/v1/customers?email=w%40x.sg", pos)).status).toBe(403)
    })

    it("does not use up a refCode on a 400, and fingerprints the normalised request", async () => {
      const bad = await post({ name: "N", phone: "12", refCode: "cust-ref-2" })
      expect(bad.status).toBe(400)
      const good = await post({ name: "N", phone: "+65 9000 6666", refCode: "cust-ref-2" })
      expect(good.status).toBe(201)
      const text = await good.text()
      // The same phone in another notation, the name with spaces around it: the same request.
      const again = await post({ name: " N ", phone: "9000 6666", refCode: "cust-ref-2" })
      expect(again.status).toBe(201)
      expect(await again.text()).toBe(text)
    })

    it("replays an upsert with the same refCode byte for byte, and refuses the refCode with another payload", async () => {
      const body = { name: "Ref", phone: "+6590005555", refCode: "cust-ref-1" }
      const first = await post(body)
      const firstText = await first.text()
      expect(first.status).toBe(201)
      const again = await post({ refCode: "cust-ref-1", phone: "+6590005555", name: "Ref" })
      expect(again.status).toBe(201)
      expect(await again.text()).toBe(firstText)
      const conflict = await post({ ...body, name: "Other" })
      expect(conflict.status).toBe(409)
      expect(((await conflict.json()) as { error: { message: string } }).error.message).toBe("refcode conflict")
    })
  })
}
