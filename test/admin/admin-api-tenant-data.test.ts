/**
 * The admin API's work on a tenant's data, on every storage adapter: outlets and their POS
 * credentials (write-only: set through the API, a Deliverect webhook signed with the new secret is
 * accepted at once and one signed with the old one refused; deleted, none is), POS accounts' credentials, the loyalty
 * service and tax defaults, rewards, syncs with their failures, orders with their timeline, and pull
 * schedules. Every change is audited; no answer and no audit entry holds a credential value.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { SyncHistory } from "../../application/ports/catalog.ts"
import { signedDeliverectWebhook } from "../menus/support.ts"
import {
  type CatalogProduct,
  deliverectOutlet,
  deliverectWebhookSecret,
  drain,
  expectNoSecrets,
  expectStatus,
  host,
  lightspeedOutlet,
  type OrderApp,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  startOrderApp,
  tenant,
  waitForOrder
} from "../orders/support.ts"
import { call } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const admin = "/admin/api/v1"

/** Marina Bay's Deliverect account and location, as its webhooks name them. */
const marinaBay = {
  accountId: "5b1f3e71c6489f0029a1b2d4",
  locationId: "61c30761e41eefadd03072af",
  channelLinkId: "649ad021949cfa36470f9ea9"
}

interface Answer {
  readonly status: number
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in the assertions
  readonly body: any
}

const suite = (name: string, makeStorage: () => Parameters<typeof startOrderApp>[0]) =>
  describe(`admin API on a tenant's data (${name})`, () => {
    let o: OrderApp
    let adminKey: string
    let products: ReadonlyMap<string, CatalogProduct>
    /** Every credential value set in these tests: no answer and no audit entry may hold one. */
    const secrets: Array<string> = []
    /** Every answer of the admin API, kept to look for those values at the end. */
    const answers: Array<string> = []

    beforeAll(async () => {
      o = await startOrderApp(makeStorage())
      secrets.push(...o.secrets)
      adminKey = await o.app.runtime.runPromise(
        issueAdminKey({ name: "ops", expiresAt: null, createdBy: "admin CLI" }).pipe(
          Effect.map((issued) => issued.plaintext),
          Effect.orDie
        )
      )
      products = await productsOf(o, deliverectOutlet)
    }, 60_000)
    afterAll(() => o?.close())

    /** An admin request: `body` as JSON, or `raw` as it is. */
    const adminCall = async (
      method: string,
      path: string,
      options: { readonly body?: unknown; readonly raw?: string; readonly key?: string } = {}
    ): Promise<Answer> => {
      const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
      const response = await call(o.app, `${admin}${path}`, {
        method,
        host: "localhost",
        key: options.key ?? adminKey,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      answers.push(text)
      return { status: response.status, text, body: text === "" ? undefined : JSON.parse(text) }
    }
    const ok = (answer: Answer, status = 200) => {
      if (answer.status !== status) expect.fail(`expected ${status}, got ${answer.status}: ${answer.text}`)
      return answer.body
    }
    /** An error envelope: its details. */
    const refused = (answer: Answer, status: number, message?: string): string => {
      expect({ status: answer.status, text: answer.text }).toMatchObject({ status })
      expect(answer.body.error.code).toBe(status)
      if (message !== undefined) expect(answer.body.error.message).toBe(message)
      return answer.body.error.details as string
    }
    let delivery = 0
    /**
     * A Deliverect busy-mode webhook for Marina Bay, signed with `secret`: each with a delay of its
     * own, since the same body twice is one delivery.
     */
    const busyWebhook = (secret: string, status: "ONLINE" | "BUSY") =>
      signedDeliverectWebhook(o.app, secret, JSON.stringify({ ...marinaBay, status, delay: ++delivery }))
    const outletRow = async (outletId: string) => {
      const page = ok(await adminCall("GET", `/tenants/${tenant}/outlets`))
      return page.data.find((row: { outletId: string }) => row.outletId === outletId)
    }

    it("answers a partner key, or none, with the one 401, and an unknown tenant with a 404", async () => {
      const routes: ReadonlyArray<[string, string, unknown?]> = [
        ["GET", `/tenants/${tenant}/outlets`],
        ["PUT", `/tenants/${tenant}/outlets/${deliverectOutlet}/credentials`, { clientId: "x" }],
        ["PUT", `/tenants/${tenant}/accounts/lightspeed/1/credentials`, { clientId: "x" }],
        ["PUT", `/tenants/${tenant}/loyalty`, { credential: "x" }],
        ["PUT", `/tenants/${tenant}/tax`, { taxInclusive: true }],
        ["GET", `/tenants/${tenant}/rewards`],
        ["PUT", `/tenants/${tenant}/rewards/kopi`, { name: "Kopi", points: 5 }],
        ["DELETE", `/tenants/${tenant}/outlets/${deliverectOutlet}/credentials`],
        ["DELETE", `/tenants/${tenant}/accounts/lightspeed/1/credentials`],
        ["DELETE", `/tenants/${tenant}/rewards/kopi`],
        ["GET", `/tenants/${tenant}/syncs`],
        ["GET", `/tenants/${tenant}/syncs/syn_1`],
        ["GET", `/tenants/${tenant}/orders`],
        ["GET", `/tenants/${tenant}/orders/ord_1`],
        ["GET", "/pull-schedules"],
        ["PUT", "/pull-schedules/lightspeed", { intervalMs: 900_000 }],
        ["DELETE", "/pull-schedules/lightspeed"]
      ]
      for (const [method, path, body] of routes) {
        for (const key of [o.partnerKey, ""]) {
          refused(await adminCall(method, path, { body, key }), 401, "invalid api key")
        }
        if (path.startsWith("/tenants/")) {
          const details = refused(
            await adminCall(method, path.replace(`/tenants/${tenant}/`, "/tenants/nobody/"), { body }),
            404,
            "tenant not found"
          )
          expect(details).toBe("no tenant with id 'nobody'")
        }
      }
    })

    it("lists the outlets with whether their credentials are set, never their values", async () => {
      // Page by page, every outlet the partner API knows, active or not.
      const listed: Array<string> = []
      let cursor: string | null = null
      do {
        const page: { data: Array<{ outletId: string }>; nextCursor: string | null } = ok(
          await adminCall("GET", `/tenants/${tenant}/outlets?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`)
        )
        expect(page.data.length).toBeLessThanOrEqual(1)
        listed.push(...page.data.map((row) => row.outletId))
        cursor = page.nextCursor
      } while (cursor !== null)
      const partner = await call(o.app, "/api/v1/outlets?includeInactive=true&limit=500", { host, key: o.partnerKey })
      const known = ((await partner.json()) as { data: Array<{ outletId: string }> }).data.map((x) => x.outletId)
      expect(listed).toEqual(known)
      expect(listed).toEqual(expect.arrayContaining([deliverectOutlet, lightspeedOutlet]))
      expect(await outletRow(deliverectOutlet)).toMatchObject({
        provider: "deliverect",
        externalId: marinaBay.channelLinkId,
        active: true,
        busyMode: "ONLINE",
        credentials: "set",
        // Deliverect has no account level.
        accountCredentials: null
      })
      expect(await outletRow(lightspeedOutlet)).toMatchObject({
        provider: "lightspeed",
        credentials: "missing",
        accountCredentials: "set"
      })
      refused(await adminCall("GET", `/tenants/${tenant}/outlets?cursor=nonsense`), 400)
    })

    it("sets an outlet's credentials: a webhook signed with the new secret is accepted, the old one refused", async () => {
      // The fake Deliverect's client, so orders still reach it; a webhook secret of the operator's.
      const fresh = { ...o.deliverect.credentials, webhookSecret: "whsec-set-through-the-admin-api-71d3" }
      secrets.push(fresh.webhookSecret)
      const old = deliverectWebhookSecret
      expect((await busyWebhook(old, "BUSY")).status).toBe(200)

      const path = `/tenants/${tenant}/outlets/${deliverectOutlet}/credentials`
      // Wrong fields: the paths are named, no value is quoted back (not even of the wrong type).
      const wrong = refused(
        await adminCall("PUT", path, {
          body: { clientId: 42, clientSecret: fresh.clientSecret, webhookSecret: "" }
        }),
        400,
        "invalid request"
      )
      for (const field of ["body.clientId", "body.channelName", "body.webhookSecret"]) {
        expect(wrong).toContain(`${field}: `)
      }
      expect(wrong).not.toContain("42")
      refused(await adminCall("PUT", path, { body: fresh.clientSecret }), 400)
      refused(await adminCall("PUT", path, { raw: `{"clientSecret":"${fresh.clientSecret}"` }), 400)
      refused(await adminCall("PUT", path, { body: [fresh] }), 400)
      // Still the old secret.
      expect((await busyWebhook(old, "ONLINE")).status).toBe(200)

      const set = ok(await adminCall("PUT", path, { body: fresh }))
      expect(set).toMatchObject({ outletId: deliverectOutlet, credentials: "set" })
      expect((await busyWebhook(old, "BUSY")).status).toBe(401)
      expect((await busyWebhook(fresh.webhookSecret, "BUSY")).status).toBe(200)
      expect(await outletRow(deliverectOutlet)).toMatchObject({ busyMode: "BUSY", credentials: "set" })
      expect((await busyWebhook(fresh.webhookSecret, "ONLINE")).status).toBe(200)

      // Deleted: no webhook of the outlet is verified any more; deleting again is no error.
      expect((await adminCall("DELETE", path)).status).toBe(204)
      expect(await outletRow(deliverectOutlet)).toMatchObject({ credentials: "missing" })
      expect((await busyWebhook(fresh.webhookSecret, "BUSY")).status).toBe(401)
      expect((await adminCall("DELETE", path)).status).toBe(204)
      refused(await adminCall("DELETE", `/tenants/${tenant}/outlets/out_nowhere/credentials`), 404, "outlet not found")
      ok(await adminCall("PUT", path, { body: fresh }))
      expect((await busyWebhook(fresh.webhookSecret, "ONLINE")).status).toBe(200)

      refused(
        await adminCall("PUT", `/tenants/${tenant}/outlets/out_nowhere/credentials`, { body: fresh }),
        404,
        "outlet not found"
      )
      // Lightspeed takes none per location: the whole body is refused.
      const perLocation = refused(
        await adminCall("PUT", `/tenants/${tenant}/outlets/${lightspeedOutlet}/credentials`, {
          body: { refreshToken: fresh.clientSecret }
        }),
        400
      )
      expect(perLocation).toMatch(/^body: /)
    })

    it("sets a POS account's credentials, and refuses a plugin without an account level or none loaded", async () => {
      const row = await outletRow(lightspeedOutlet)
      const business = row.accountId as string
      const path = `/tenants/${tenant}/accounts/lightspeed/${business}/credentials`
      const client = {
        apiBaseUrl: o.lightspeed.url,
        clientId: "pos-integration-orders",
        clientSecret: "cs-orders-9d8c7b6a5f",
        refreshToken: "rt-orders-first-1a2b3c",
        accessToken: "at-orders-standing-4d5e6f",
        webhookToken: "whk-orders-0f1e2d3c4b5a",
        endpointId: "POS-INTEGRATION-ORDERS"
      }
      expect(ok(await adminCall("PUT", path, { body: client }))).toEqual({
        provider: "lightspeed",
        accountId: business,
        credentials: "set"
      })
      const wrong = refused(
        await adminCall("PUT", path, { body: { ...client, refreshToken: 7, apiBaseUrl: "ftp://x" } }),
        400
      )
      expect(wrong).toContain("body.refreshToken: ")
      expect(wrong).toContain("body.apiBaseUrl: ")
      expect(wrong).not.toContain("ftp")
      const other = ok(
        await adminCall("PUT", `/tenants/${tenant}/accounts/lightspeed/biz-2/credentials`, { body: client })
      )
      expect(other.credentials).toBe("set")
      expect((await adminCall("DELETE", `/tenants/${tenant}/accounts/lightspeed/biz-2/credentials`)).status).toBe(204)
      expect((await adminCall("DELETE", `/tenants/${tenant}/accounts/lightspeed/biz-2/credentials`)).status).toBe(204)
      expect(
        refused(
          await adminCall("PUT", `/tenants/${tenant}/accounts/deliverect/${marinaBay.accountId}/credentials`, {
            body: o.deliverect.credentials
          }),
          400
        )
      ).toContain("path.provider: the deliverect plugin has no account-level credentials")
      expect(
        refused(await adminCall("PUT", `/tenants/${tenant}/accounts/square/m-1/credentials`, { body: client }), 400)
      ).toMatch(/^path\.provider: names no loaded POS plugin/)
      expect(await outletRow(lightspeedOutlet)).toMatchObject({ accountCredentials: "set" })
    })

    it("sets, changes, lists and removes rewards; partners see them at once", async () => {
      const rewards = `/tenants/${tenant}/rewards`
      expect(ok(await adminCall("GET", rewards))).toEqual({ data: [] })
      expect(ok(await adminCall("PUT", `${rewards}/kopi`, { body: { name: " Kopi O ", points: 20 } }))).toEqual({
        rewardId: "kopi",
        name: "Kopi O",
        points: 20
      })
      ok(await adminCall("PUT", `${rewards}/cake`, { body: { name: "Cake", points: 80 } }))
      ok(await adminCall("PUT", `${rewards}/kopi`, { body: { name: "Kopi C", points: 25 } }))
      const partner = await call(o.app, "/api/v1/loyalty/rewards", { host, key: o.partnerKey })
      expect(((await partner.json()) as { data: unknown }).data).toEqual([
        { rewardId: "cake", name: "Cake", points: 80 },
        { rewardId: "kopi", name: "Kopi C", points: 25 }
      ])
      expect(refused(await adminCall("PUT", `${rewards}/bad%20id`, { body: { name: "X", points: 1 } }), 400)).toMatch(
        /^path\.rewardId: must be 1 to 128 characters/
      )
      refused(await adminCall("PUT", `${rewards}/kopi`, { body: { name: "   ", points: 1 } }), 400)
      refused(await adminCall("PUT", `${rewards}/kopi`, { body: { name: "Kopi", points: 0 } }), 400)
      expect((await adminCall("DELETE", `${rewards}/cake`)).status).toBe(204)
      refused(await adminCall("DELETE", `${rewards}/cake`), 404, "reward not found")
      expect(ok(await adminCall("GET", rewards)).data.map((r: { rewardId: string }) => r.rewardId)).toEqual(["kopi"])
    })

    it("sets the loyalty service (the credential never shown) and the tax defaults", async () => {
      const loyalty = `/tenants/${tenant}/loyalty`
      const credential = "loyalty-credential-set-by-admin-5f9a"
      secrets.push(credential)
      const set = ok(await adminCall("PUT", loyalty, { body: { url: "https://loyalty.example.com/", credential } }))
      expect(set).toMatchObject({
        tenantId: tenant,
        loyaltyUrl: "https://loyalty.example.com",
        loyaltyCredentialSet: true
      })
      const masked = refused(
        await adminCall("PUT", loyalty, { body: { url: `https://ops:${credential}@loyalty.example.com`, credential } }),
        400
      )
      expect(masked).toContain("body.url: must be a URL without a user or password in it (https://***@")
      expect(refused(await adminCall("PUT", loyalty, { body: { credential: "" } }), 400)).toBe(
        "body.credential: must not be empty"
      )
      // A credential of the wrong type is not quoted back either.
      expect(refused(await adminCall("PUT", loyalty, { body: { credential: { token: credential } } }), 400)).toMatch(
        /^body\.credential: /
      )
      expect(ok(await adminCall("PUT", loyalty, { body: { url: null, credential } }))).toMatchObject({
        loyaltyUrl: null,
        loyaltyCredentialSet: true
      })

      const tax = `/tenants/${tenant}/tax`
      const before = ok(await adminCall("GET", `/tenants/${tenant}`))
      expect(ok(await adminCall("PUT", tax, { body: { taxRatePpm: 88_750 } }))).toMatchObject({
        taxInclusive: before.taxInclusive,
        taxRatePpm: 88_750
      })
      expect(ok(await adminCall("PUT", tax, { body: { taxInclusive: false, taxRatePpm: null } }))).toMatchObject({
        taxInclusive: false,
        taxRatePpm: null
      })
      expect(refused(await adminCall("PUT", tax, { body: {} }), 400)).toBe(
        "body: give taxInclusive, taxRatePpm or both"
      )
      expect(refused(await adminCall("PUT", tax, { body: { taxRatePpm: 1_000_001 } }), 400)).toContain(
        "body.taxRatePpm: "
      )
      ok(await adminCall("PUT", tax, { body: { taxInclusive: true } }))
    })

    it("lists the syncs, their failures apart, page by page", async () => {
      const syncs = `/tenants/${tenant}/syncs`
      const all = ok(await adminCall("GET", `${syncs}?limit=500`)).data as Array<{ syncId: string; status: string }>
      expect(all.length).toBeGreaterThanOrEqual(4)
      expect(new Set(all.map((s) => s.status))).toEqual(new Set(["succeeded"]))
      const failure = {
        id: "syn_zzzzzzzzzzfailedpull",
        kind: "products" as const,
        provider: "lightspeed",
        source: "pull" as const,
        storeId: lightspeedOutlet,
        status: "failed" as const,
        counts: {},
        error: "PosUnavailable: Lightspeed answered HTTP 503",
        fingerprint: null,
        callbackUrl: null,
        pushedOutlets: null,
        startedAt: new Date(),
        finishedAt: new Date()
      }
      await o.app.inTenant(
        tenant,
        Effect.flatMap(SyncHistory, (history) => history.record(failure))
      )
      const failed = ok(await adminCall("GET", `${syncs}?outcome=failed`))
      expect(failed.data).toEqual([
        expect.objectContaining({
          syncId: failure.id,
          status: "failed",
          error: failure.error,
          outletId: lightspeedOutlet
        })
      ])
      expect(failed.nextCursor).toBeNull()
      const succeeded: Array<string> = []
      let cursor: string | null = null
      do {
        const page: { data: Array<{ syncId: string; status: string }>; nextCursor: string | null } = ok(
          await adminCall("GET", `${syncs}?outcome=succeeded&limit=1${cursor === null ? "" : `&cursor=${cursor}`}`)
        )
        expect(page.data.length).toBeLessThanOrEqual(1)
        succeeded.push(...page.data.map((s) => s.syncId))
        cursor = page.nextCursor
      } while (cursor !== null)
      expect(succeeded).toEqual(all.map((s) => s.syncId))
      expect(ok(await adminCall("GET", `${syncs}?outletId=${lightspeedOutlet}&outcome=failed`)).data).toHaveLength(1)
      expect(ok(await adminCall("GET", `${syncs}/${failure.id}`))).toMatchObject({
        syncId: failure.id,
        status: "failed"
      })
      refused(await adminCall("GET", `${syncs}/syn_nothing`), 404, "sync not found")
      refused(await adminCall("GET", `${syncs}?outletId=out_nowhere`), 404, "outlet not found")
      refused(await adminCall("GET", `${syncs}?outcome=lost`), 400)
      const first = ok(await adminCall("GET", `${syncs}?limit=1`))
      refused(await adminCall("GET", `${syncs}?limit=1&outcome=failed&cursor=${first.nextCursor}`), 400)
    })

    it("reads orders with their timeline and delivery attempts, as the partner API does, without credentials", async () => {
      const body = orderRequest(
        deliverectOutlet,
        [{ productId: productAt(products, "WNG-06").productId, quantity: 1 }],
        1290
      )
      const placed = expectStatus(await placeOrder(o, body), 201)
      await drain(o)
      const submitted = await waitForOrder(o, placed.orderId, (x) => x.status === "SUBMITTED")
      const read = await adminCall("GET", `/tenants/${tenant}/orders/${placed.orderId}`)
      expect(ok(read)).toEqual(submitted)
      expect(read.body.timeline.map((t: { status: string }) => t.status)).toEqual(["RECEIVED", "SUBMITTED"])
      expect(read.body.deliveries.map((d: { outcome: string }) => d.outcome)).toEqual(["delivered"])
      expectNoSecrets(o, read.text)
      const listed = ok(
        await adminCall("GET", `/tenants/${tenant}/orders?outletId=${deliverectOutlet}&refCode=${placed.refCode}`)
      )
      expect(listed.data.map((x: { orderId: string }) => x.orderId)).toEqual([placed.orderId])
      refused(await adminCall("GET", `/tenants/${tenant}/orders/ord_nothing`), 404, "order not found")
      refused(await adminCall("GET", `/tenants/${tenant}/orders?outletId=out_nowhere`), 404, "outlet not found")
      refused(await adminCall("GET", `/tenants/${tenant}/orders?createdSince=yesterday`), 400)
    })

    it("sets, lists and removes pull schedules; a plugin that cannot pull is refused", async () => {
      expect(ok(await adminCall("GET", "/pull-schedules"))).toEqual({ data: [] })
      const set = ok(await adminCall("PUT", "/pull-schedules/lightspeed", { body: { intervalMs: 5_400_000 } }))
      expect(set).toMatchObject({ provider: "lightspeed", intervalMs: 5_400_000, every: "1h30m", lastRunAt: null })
      expect(ok(await adminCall("GET", "/pull-schedules")).data).toEqual([set])
      expect(
        refused(await adminCall("PUT", "/pull-schedules/deliverect", { body: { intervalMs: 900_000 } }), 400)
      ).toBe("path.provider: the deliverect plugin cannot pull: its POS pushes outlets and menus")
      refused(await adminCall("PUT", "/pull-schedules/square", { body: { intervalMs: 900_000 } }), 400)
      refused(await adminCall("PUT", "/pull-schedules/lightspeed", { body: { intervalMs: 1000 } }), 400)
      expect((await adminCall("DELETE", "/pull-schedules/lightspeed")).status).toBe(204)
      // Idempotent: nothing left to remove is no error.
      expect((await adminCall("DELETE", "/pull-schedules/lightspeed")).status).toBe(204)
      expect(ok(await adminCall("GET", "/pull-schedules"))).toEqual({ data: [] })
    })

    it("records every change in the audit log, and no answer or entry holds a credential value", async () => {
      const entries: Array<{ action: string; actor: string; target: string | null; summary: string }> = ok(
        await adminCall("GET", `/audit?tenantId=${tenant}&limit=500`)
      ).data
      expect(entries.map((e) => e.action).reverse()).toEqual([
        "credentials.set",
        "credentials.delete",
        "credentials.set",
        "credentials.set",
        "credentials.set",
        "credentials.delete",
        "reward.set",
        "reward.set",
        "reward.set",
        "reward.remove",
        "tenant.set-loyalty",
        "tenant.set-loyalty",
        "tenant.set-tax",
        "tenant.set-tax",
        "tenant.set-tax"
      ])
      expect(new Set(entries.map((e) => e.actor))).toEqual(new Set(["admin key 1 (ops)"]))
      expect(entries.at(-1)).toMatchObject({ target: `outlet ${deliverectOutlet}` })
      expect(entries.find((e) => e.action === "credentials.delete")).toMatchObject({
        target: "lightspeed account biz-2",
        summary: "deleted the credentials of lightspeed account 'biz-2'"
      })
      const schedules = ok(await adminCall("GET", "/audit?action=pull-schedule.")).data
      expect(schedules.map((e: { action: string }) => e.action)).toEqual(["pull-schedule.remove", "pull-schedule.set"])
      const text = answers.join("\n")
      for (const secret of secrets) expect(text).not.toContain(secret)
    })
  })

for (const adapter of storageAdapters()) {
  if (adapter.available) suite(adapter.name, adapter.layer)
  else
    describe(`admin API on a tenant's data (${adapter.name})`, () =>
      it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
