/**
 * Order statuses reported by the POS: signed Deliverect order status webhooks (and Lightspeed's
 * order notifications) move orders delivered by the dispatcher along the transition table, over
 * HTTP, with duplicates, unknown statuses, forged or misdirected webhooks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  captureConsole,
  deliverectOrderId,
  deliverectSignature,
  getOrder,
  lightspeedLines,
  lightspeedWebhookToken,
  marinaBaySecret,
  type OrderView,
  place,
  rafflesPlace,
  rafflesPlaceLocation,
  type Rig,
  sendDeliverectWebhook,
  startRig,
  statusUpdate,
  tanjongPagar,
  tanjongPagarLink,
  tanjongPagarSecret,
  waitForOrder,
  waitForStatus
} from "./dispatch-support.ts"

interface WebhookAnswer {
  readonly received: boolean
  readonly delivery: "applied" | "duplicate"
  readonly events: number
  readonly ignored: number
}

const answerOf = async (response: Response): Promise<WebhookAnswer> => {
  const text = await response.text()
  if (response.status !== 200) expect.fail(`webhook answered ${response.status}: ${text}`)
  return JSON.parse(text) as WebhookAnswer
}

const statuses = (view: OrderView) => view.timeline.map((e) => e.status)

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order status webhooks (${adapter.name})`, () => {
    let rig: Rig
    let logs: ReturnType<typeof captureConsole>

    /** An order placed and delivered to the POS (SUBMITTED). */
    const submitted = async (refCode: string, outlet?: string) => {
      const placed = await place(rig, refCode, outlet)
      return waitForStatus(rig, placed.orderId, "SUBMITTED")
    }

    /** The status of the order with this refCode, as the listing reads it. */
    const statusOf = async (refCode: string) => {
      const response = await call(rig.app, `/api/v1/orders?refCode=${refCode}`, { host: rig.host, key: rig.partnerKey })
      expect(response.status).toBe(200)
      const page = (await response.json()) as { data: Array<{ status: string; posOrderId: string | null }> }
      expect(page.data).toHaveLength(1)
      return page.data[0]!.status
    }

    const deliverect = async (refCode: string, status: number, options?: Parameters<typeof statusUpdate>[2]) =>
      answerOf(await sendDeliverectWebhook(rig, statusUpdate(refCode, status, options)))

    beforeAll(async () => {
      logs = captureConsole()
      rig = await startRig(adapter.layer(), {
        lightspeed: true,
        tanjongPagarCredentials: true,
        // A POS call's deadline long enough to report a status while the call still hangs.
        settings: { logFormat: "json", logLevel: "warning", posCallTimeoutMs: 800 }
      })
    })
    afterAll(async () => {
      await rig?.close()
      logs?.restore()
    })

    it("moves an order SUBMITTED -> ACCEPTED -> PREPARING -> READY -> COMPLETED as Deliverect reports it", async () => {
      const order = await submitted("WHK-FLOW-1")
      expect(order.posOrderId).toBeNull()
      const deliverectId = "65f1a2b3c4d5e6f7a8b90001"
      const steps: ReadonlyArray<[number, string]> = [
        [20, "ACCEPTED"],
        [50, "PREPARING"],
        [70, "READY"],
        [90, "COMPLETED"]
      ]
      for (const [code, status] of steps) {
        const answer = await deliverect("WHK-FLOW-1", code, { orderId: deliverectId })
        expect(answer).toMatchObject({ received: true, delivery: "applied", events: 1, ignored: 0 })
        expect((await getOrder(rig, order.orderId)).view.status).toBe(status)
      }
      const { view } = await getOrder(rig, order.orderId)
      expect(statuses(view)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED", "PREPARING", "READY", "COMPLETED"])
      expect(view.timeline.slice(2).map((e) => [e.source, e.vendorStatus])).toEqual([
        ["pos", "20"],
        ["pos", "50"],
        ["pos", "70"],
        ["pos", "90"]
      ])
      // Deliverect's 201 carried no id; its webhooks do, and the order keeps it.
      expect(view.posOrderId).toBe(deliverectId)
    })

    it("has one effect when the same webhook arrives twice, and none when a status is reported again", async () => {
      const order = await submitted("WHK-DUP-1")
      const body = statusUpdate("WHK-DUP-1", 20)
      expect(await answerOf(await sendDeliverectWebhook(rig, body))).toMatchObject({ delivery: "applied" })
      expect(await answerOf(await sendDeliverectWebhook(rig, body))).toMatchObject({ delivery: "duplicate" })
      // The same status in other bytes (a later timestamp): applied, and changes nothing.
      const later = new Date(Date.now() + 1000).toISOString()
      expect(await deliverect("WHK-DUP-1", 20, { at: later })).toMatchObject({ delivery: "applied" })
      const { view } = await getOrder(rig, order.orderId)
      expect(view.status).toBe("ACCEPTED")
      expect(statuses(view)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED"])

      // A vendor's retry that arrives while the first delivery is still being applied: one move, one
      // note of a status with no meaning, one of a status the table refuses.
      for (const code of [50, 60, 20]) {
        const twin = statusUpdate("WHK-DUP-1", code)
        const answers = await Promise.all([sendDeliverectWebhook(rig, twin), sendDeliverectWebhook(rig, twin)])
        expect(answers.map((a) => a.status)).toEqual([200, 200])
      }
      const after = (await getOrder(rig, order.orderId)).view
      expect(after.status).toBe("PREPARING")
      expect(after.timeline.map((e) => [e.status, e.vendorStatus])).toEqual([
        ["RECEIVED", null],
        ["SUBMITTED", null],
        ["ACCEPTED", "20"],
        ["PREPARING", "50"],
        [null, "60"],
        [null, "20"]
      ])
    })

    it("does not move a COMPLETED order, nor move an order back; the refusal is in the timeline", async () => {
      const order = await submitted("WHK-FINAL-1")
      await deliverect("WHK-FINAL-1", 70)
      // Back from READY to PREPARING: refused.
      await deliverect("WHK-FINAL-1", 50)
      expect((await getOrder(rig, order.orderId)).view.status).toBe("READY")
      await deliverect("WHK-FINAL-1", 90)
      await deliverect("WHK-FINAL-1", 110)
      await deliverect("WHK-FINAL-1", 20)
      const { view } = await getOrder(rig, order.orderId)
      expect(view.status).toBe("COMPLETED")
      expect(statuses(view)).toEqual(["RECEIVED", "SUBMITTED", "READY", null, "COMPLETED", null, null])
      expect(view.timeline[3]!.reason).toContain("does not move back to PREPARING")
      expect(view.timeline[5]).toMatchObject({ source: "pos", vendorStatus: "110" })
      expect(view.timeline[5]!.reason).toContain("COMPLETED, a final status")
      expect(view.timeline[6]!.reason).toContain("COMPLETED, a final status")
    })

    it("records an unknown vendor status in the timeline and the log, without applying it", async () => {
      const order = await submitted("WHK-UNKNOWN-1")
      const before = logs.entries().length
      // 60 is Deliverect's PREPARED, which has no canonical meaning; 777 no meaning at all.
      await deliverect("WHK-UNKNOWN-1", 60)
      await deliverect("WHK-UNKNOWN-1", 777)
      const { view } = await getOrder(rig, order.orderId)
      expect(view.status).toBe("SUBMITTED")
      expect(view.timeline.slice(2)).toEqual([
        expect.objectContaining({ status: null, source: "pos", vendorStatus: "60" }),
        expect.objectContaining({ status: null, source: "pos", vendorStatus: "777" })
      ])
      const logged = logs
        .entries()
        .slice(before)
        .filter((line) => line.includes("no canonical meaning"))
      expect(logged).toHaveLength(2)
      expect(logged.join("\n")).toContain(order.orderId)
      // A known status still applies afterwards.
      await deliverect("WHK-UNKNOWN-1", 20)
      expect((await getOrder(rig, order.orderId)).view.status).toBe("ACCEPTED")
    })

    it("refuses a tampered webhook with 401 and changes no order", async () => {
      const order = await submitted("WHK-TAMPER-1")
      const body = statusUpdate("WHK-TAMPER-1", 20)
      const tampered = body.replace('"status":20', '"status":110')
      expect(tampered).not.toBe(body)
      const signature = deliverectSignature(body, marinaBaySecret)
      const response = await call(rig.app, "/api/v1/pos/deliverect/webhooks", {
        method: "POST",
        host: rig.host,
        headers: { "content-type": "application/json", "x-deliverect-signature": signature },
        body: tampered
      })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { details: string } }).error.details).toContain("signature mismatch")
      expect((await sendDeliverectWebhook(rig, body, null)).status).toBe(401)
      expect((await sendDeliverectWebhook(rig, body, tanjongPagarSecret)).status).toBe(401)
      const { view } = await getOrder(rig, order.orderId)
      expect(view.status).toBe("SUBMITTED")
      expect(statuses(view)).toEqual(["RECEIVED", "SUBMITTED"])
    })

    it("does not let a webhook verified for one outlet move another outlet's order", async () => {
      const atMarina = await submitted("WHK-SCOPE-A")
      const atTanjong = await submitted("WHK-SCOPE-B", tanjongPagar)
      // Tanjong Pagar's channel link with Marina Bay's secret is no webhook of Tanjong Pagar's.
      const forged = statusUpdate("WHK-SCOPE-B", 20, { channelLink: tanjongPagarLink })
      expect((await sendDeliverectWebhook(rig, forged, marinaBaySecret)).status).toBe(401)
      // Tanjong Pagar's own webhook gives its order Deliverect's id.
      const own = await answerOf(
        await sendDeliverectWebhook(
          rig,
          statusUpdate("WHK-SCOPE-B", 20, { channelLink: tanjongPagarLink, orderId: "65f1a2b3c4d5e6f7a8b9b0b0" }),
          tanjongPagarSecret
        )
      )
      expect(own).toMatchObject({ delivery: "applied", ignored: 0 })
      expect((await getOrder(rig, atTanjong.orderId)).view).toMatchObject({
        status: "ACCEPTED",
        posOrderId: "65f1a2b3c4d5e6f7a8b9b0b0"
      })

      // Verified with Marina Bay's secret, naming Tanjong Pagar's order by refCode, then by Deliverect's id only.
      const byRefCode = await deliverect("WHK-SCOPE-B", 110)
      expect(byRefCode).toMatchObject({ delivery: "applied", ignored: 1 })
      const byPosId = await deliverect("", 110, { orderId: "65f1a2b3c4d5e6f7a8b9b0b0" })
      expect(byPosId).toMatchObject({ delivery: "applied", ignored: 1 })
      // Verified with Tanjong Pagar's secret, naming Marina Bay's order.
      const other = await answerOf(
        await sendDeliverectWebhook(
          rig,
          statusUpdate("WHK-SCOPE-A", 110, { channelLink: tanjongPagarLink }),
          tanjongPagarSecret
        )
      )
      expect(other).toMatchObject({ delivery: "applied", ignored: 1 })
      // A refCode no order has, even beside the POS id of an order that has another refCode.
      expect(await deliverect("WHK-NO-SUCH-ORDER", 20)).toMatchObject({ ignored: 1 })
      expect(await deliverect("WHK-NO-SUCH-ORDER", 110, { orderId: deliverectOrderId("WHK-DUP-1") })).toMatchObject({
        ignored: 1
      })
      expect(await statusOf("WHK-DUP-1")).toBe("PREPARING")

      const tanjong = (await getOrder(rig, atTanjong.orderId)).view
      expect(tanjong.status).toBe("ACCEPTED")
      expect(statuses(tanjong)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED"])
      const marina = (await getOrder(rig, atMarina.orderId)).view
      expect(marina.status).toBe("SUBMITTED")
      expect(statuses(marina)).toEqual(["RECEIVED", "SUBMITTED"])
    })

    it("lets a FAILED order follow the POS that reports it accepted", async () => {
      rig.deliverect.setOrders("unavailable")
      let failed: OrderView
      try {
        const placed = await place(rig, "WHK-FAILED-1")
        failed = await waitForStatus(rig, placed.orderId, "FAILED")
      } finally {
        rig.deliverect.setOrders("accept")
      }
      // The POS had it after all (an answer lost on the way).
      await deliverect("WHK-FAILED-1", 20, { orderId: "65f1a2b3c4d5e6f7a8b9fa11" })
      const { view } = await getOrder(rig, failed.orderId)
      expect(view.status).toBe("ACCEPTED")
      expect(view.posOrderId).toBe("65f1a2b3c4d5e6f7a8b9fa11")
      expect(statuses(view)).toEqual(["RECEIVED", "FAILED", "ACCEPTED"])
    })

    it("does not send again an order the POS reported while the dispatcher still waited for its answer", async () => {
      const before = rig.deliverect.orderRequests()
      rig.deliverect.setOrders("hang")
      let placed: OrderView
      try {
        placed = await place(rig, "WHK-EARLY-1")
        const deadline = Date.now() + 3000
        while (rig.deliverect.orderRequests() === before) {
          if (Date.now() > deadline) expect.fail("the order never reached the fake")
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
        // Deliverect has it and says so, while the call that brought it still waits for an answer.
        expect(await deliverect("WHK-EARLY-1", 20)).toMatchObject({ delivery: "applied", ignored: 0 })
        expect((await getOrder(rig, placed.orderId)).view.status).toBe("ACCEPTED")
      } finally {
        rig.deliverect.setOrders("accept")
      }
      const view = await waitForOrder(rig, placed.orderId, (v) => v.deliveries.length === 2, 5000)
      expect(view.deliveries.map((d) => d.outcome)).toEqual(["unavailable", "skipped"])
      expect(view.deliveries[1]!.reason).toBe("the order is ACCEPTED: nothing to deliver")
      expect(view.status).toBe("ACCEPTED")
      expect(statuses(view)).toEqual(["RECEIVED", "ACCEPTED"])
      expect(
        rig.deliverect.orderBodies().filter((body) => body.includes('"channelOrderId":"WHK-EARLY-1"'))
      ).toHaveLength(1)
    })

    it("reads Lightspeed's order notifications: SUCCESS accepts the order and gives it Lightspeed's id", async () => {
      const placed = await place(rig, "WHK-LS-1", rafflesPlace, lightspeedLines)
      const order = await waitForStatus(rig, placed.orderId, "SUBMITTED")
      expect(rig.lightspeed!.takenReferences()).toContain("WHK-LS-1")
      // Lightspeed's order answer carries no id of its own.
      expect(order.posOrderId).toBeNull()
      const notify = (payload: unknown, token = lightspeedWebhookToken) =>
        call(rig.app, "/api/v1/pos/lightspeed/webhooks", {
          method: "POST",
          host: rig.host,
          headers: { "content-type": "application/json", "x-webhook-token": token },
          body: JSON.stringify(payload)
        })
      const success = {
        status: "SUCCESS",
        ikentooAccountId: "2114502594134196",
        ikentooAccountIdentifier: "A123080.14",
        thirdPartyReference: "WHK-LS-1",
        businessLocationId: Number(rafflesPlaceLocation),
        type: "ORDER"
      }
      expect((await notify(success, "not-the-webhook-token-at-all")).status).toBe(401)
      expect((await getOrder(rig, order.orderId)).view.status).toBe("SUBMITTED")
      expect(await answerOf(await notify(success))).toMatchObject({ delivery: "applied", ignored: 0 })
      const accepted = (await getOrder(rig, order.orderId)).view
      expect(accepted).toMatchObject({ status: "ACCEPTED", posOrderId: "A123080.14" })
      const ready = {
        thirdPartyReference: "WHK-LS-1",
        businessLocationId: Number(rafflesPlaceLocation),
        status: "READY_FOR_PICKUP",
        type: "ORDER"
      }
      await answerOf(await notify(ready))
      const { view } = await getOrder(rig, order.orderId)
      expect(view.status).toBe("READY")
      expect(view.timeline.slice(2).map((e) => [e.status, e.vendorStatus])).toEqual([
        ["ACCEPTED", "SUCCESS"],
        ["READY", "READY_FOR_PICKUP"]
      ])
      // A Deliverect webhook naming the Lightspeed order's refCode is no business of Deliverect's.
      expect(await deliverect("WHK-LS-1", 90)).toMatchObject({ ignored: 1 })
      expect((await getOrder(rig, order.orderId)).view.status).toBe("READY")
    })
  })
}
