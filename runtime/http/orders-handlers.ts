import { randomUUID } from "node:crypto"
import { Clock, Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { withRefCode } from "../../application/idempotency/ref-code.ts"
import { cancelOrder } from "../../application/orders/cancel-order.ts"
import { placeOrder } from "../../application/orders/place-order.ts"
import { Orders } from "../../application/ports/orders.ts"
import { InvalidInput, NotFound } from "../../domain/errors.ts"
import type { DeliveryAttempt, Order, OrderRequest, OrderStatus, TimelineEntry } from "../../domain/order.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"
import { AppConfig } from "../config.ts"
import { OrderDispatch } from "../orders/order-dispatch.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { Api } from "./api.ts"
import { CurrentPrincipal, CurrentTenant } from "./context.ts"
import { pageCursor } from "./cursor.ts"
import { httpErrors } from "./error-mapping.ts"
import { fingerprintOf } from "./idempotent-response.ts"
import { type OrderCreate, OrderPlaced } from "./orders-schemas.ts"
import { showValue } from "./validation-details.ts"
import { ownerOf } from "./webhook-endpoints-handlers.ts"

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`

type OrderCreatePayload = typeof OrderCreate.Type

/** The decoded body in domain terms: what is left out is null (or the documented default). */
export const orderRequest = (payload: OrderCreatePayload): Effect.Effect<OrderRequest, InvalidInput> =>
  Effect.gen(function* () {
    const { fulfilment } = payload
    let scheduledFor: Date | null = null
    if (fulfilment.scheduledFor !== undefined && fulfilment.scheduledFor !== null) {
      const instant = rfc3339Instant(fulfilment.scheduledFor)
      if (instant === undefined) {
        return yield* new InvalidInput({
          details: `body.fulfilment.scheduledFor: expected an RFC 3339 date-time with Z or ±HH:MM, got ${showValue(fulfilment.scheduledFor)}`
        })
      }
      scheduledFor = instant
    }
    if (fulfilment.asap === true && scheduledFor !== null) {
      return yield* new InvalidInput({
        details: "body.fulfilment: asap: true and a scheduledFor exclude each other: give one"
      })
    }
    if (fulfilment.asap === false && scheduledFor === null) {
      return yield* new InvalidInput({
        details:
          "body.fulfilment.scheduledFor: is required with asap: false (or leave asap out for as soon as possible)"
      })
    }
    if (fulfilment.type === "DELIVERY" && (fulfilment.address ?? null) === null) {
      return yield* new InvalidInput({ details: "body.fulfilment.address: is required for a DELIVERY order" })
    }
    const address = fulfilment.address ?? null
    return {
      refCode: payload.refCode,
      outletId: payload.outletId,
      fulfilment: {
        type: fulfilment.type,
        asap: scheduledFor === null,
        scheduledFor,
        table: fulfilment.table ?? null,
        address:
          address === null
            ? null
            : {
                line1: address.line1,
                line2: address.line2 ?? null,
                city: address.city ?? null,
                postalCode: address.postalCode ?? null,
                country: address.country ?? null,
                latitude: address.latitude ?? null,
                longitude: address.longitude ?? null
              }
      },
      customer: {
        customerId: payload.customer?.customerId ?? null,
        name: payload.customer?.name ?? null,
        phone: payload.customer?.phone ?? null,
        email: payload.customer?.email ?? null
      },
      items: payload.items.map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        note: item.note ?? null,
        modifiers: (item.modifiers ?? []).map((m) => ({ optionId: m.optionId, quantity: m.quantity ?? 1 }))
      })),
      charges: (payload.charges ?? []).map((c) => ({ kind: c.kind, name: c.name ?? null, amount: c.amount })),
      discounts: (payload.discounts ?? []).map((d) => ({
        type: d.type,
        name: d.name ?? null,
        reference: d.reference ?? null,
        amount: d.amount
      })),
      payment: {
        status: payload.payment.status,
        amount: payload.payment.amount,
        method: payload.payment.method ?? null,
        reference: payload.payment.reference ?? null
      },
      notes: payload.notes ?? null,
      displayId: payload.displayId ?? null
    } satisfies OrderRequest
  })

/**
 * SHA-256 of the canonical JSON of the decoded request (SPEC section 6). Instants are written as
 * RFC 3339 text first: the canonical JSON of a Date object is `{}`, which would make two orders for
 * different times the same request.
 */
export const orderFingerprint = (request: OrderRequest): string =>
  fingerprintOf({
    ...request,
    fulfilment: { ...request.fulfilment, scheduledFor: request.fulfilment.scheduledFor?.toISOString() ?? null }
  })

/** The order's fields every answer shares. */
const orderFields = (order: Order) => {
  const { request, priced } = order
  const money = (amount: number) => ({ amount, currency: priced.currency })
  return {
    orderId: order.orderId,
    refCode: order.refCode,
    outletId: order.outletId,
    status: order.status,
    createdAt: order.createdAt.toISOString(),
    fulfilment: {
      type: request.fulfilment.type,
      asap: request.fulfilment.asap,
      scheduledFor: request.fulfilment.scheduledFor?.toISOString() ?? null,
      table: request.fulfilment.table,
      address: request.fulfilment.address
    },
    customer: request.customer,
    lines: priced.lines.map((line) => ({
      lineNo: line.lineNo,
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPrice: money(line.unitPrice),
      note: line.note,
      modifiers: line.modifiers.map((m) => ({
        optionId: m.optionId,
        modifierGroupId: m.modifierGroupId,
        name: m.name,
        quantity: m.quantity,
        unitPrice: money(m.unitPrice)
      })),
      subtotal: money(line.subtotal),
      discount: money(line.discount),
      tax: { ratePpm: line.tax.ratePpm, amount: money(line.tax.amount) },
      total: money(line.total)
    })),
    charges: priced.charges.map((c) => ({ kind: c.kind, name: c.name, amount: money(c.amount) })),
    discounts: priced.discounts.map((d) => ({
      type: d.type,
      name: d.name,
      reference: d.reference,
      amount: money(d.amount)
    })),
    totals: {
      subtotal: money(priced.totals.subtotal),
      charges: money(priced.totals.charges),
      discount: money(priced.totals.discount),
      tax: money(priced.totals.tax),
      total: money(priced.totals.total)
    },
    currency: priced.currency,
    taxInclusive: priced.taxInclusive,
    payment: { ...request.payment, amount: money(request.payment.amount) },
    notes: request.notes,
    displayId: request.displayId,
    menu: { source: order.menuSource, menus: order.menus }
  }
}

const encodePlaced = Schema.encodeSync(OrderPlaced)

/**
 * The placement's answer: the order as placed (status RECEIVED, whatever it is now), so that an
 * answer rebuilt from the stored order is the first answer, byte for byte.
 */
export const placedBody = (order: Order): string =>
  JSON.stringify(encodePlaced({ ...orderFields(order), status: "RECEIVED" }))

/** An order as `GET /orders` lists it. */
export const summaryOf = (order: Order) => ({
  ...orderFields(order),
  posOrderId: order.posOrderId,
  updatedAt: order.updatedAt.toISOString()
})

const viewOf = (order: Order, timeline: ReadonlyArray<TimelineEntry>, attempts: ReadonlyArray<DeliveryAttempt>) => ({
  ...summaryOf(order),
  timeline: timeline.map((entry) => ({
    at: entry.at.toISOString(),
    status: entry.status,
    source: entry.source,
    vendorStatus: entry.vendorStatus,
    reason: entry.reason
  })),
  deliveries: attempts.map((a) => ({
    kind: a.kind,
    attempt: a.attempt,
    startedAt: a.startedAt.toISOString(),
    finishedAt: a.finishedAt.toISOString(),
    outcome: a.outcome,
    reason: a.reason
  }))
})

/** An order as `GET /orders/{orderId}` answers it: with its timeline and delivery attempts (the admin API's too). */
export const fullView = (order: Order) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    return viewOf(order, yield* orders.timeline(order.orderId), yield* orders.attempts(order.orderId))
  })

/** The query of an order listing, as `GET /orders` declares it. */
export interface OrderListQuery {
  readonly refCode?: string | undefined
  readonly outletId?: string | undefined
  readonly status?: OrderStatus | undefined
  readonly createdSince?: string | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

/** `createdSince` as a query gives it: RFC 3339, else a 400 naming it; absent, null. */
export const createdSinceOf = (raw: string | undefined): Effect.Effect<Date | null, InvalidInput> => {
  if (raw === undefined) return Effect.succeed(null)
  const instant = rfc3339Instant(raw)
  return instant === undefined
    ? Effect.fail(
        new InvalidInput({
          details: `query.createdSince: expected an RFC 3339 date-time with Z or ±HH:MM, got ${showValue(raw)}`
        })
      )
    : Effect.succeed(instant)
}

/**
 * A page of orders, newest first, as `GET /orders` answers it (the admin API lists a tenant's the
 * same way); `createdSince` is the query's, read by `createdSinceOf`.
 */
export const listOrders = (query: OrderListQuery, createdSince: Date | null) =>
  Effect.gen(function* () {
    const cursor = pageCursor("orders", [
      query.refCode ?? null,
      query.outletId ?? null,
      query.status ?? null,
      createdSince?.toISOString() ?? null
    ])
    const page = yield* (yield* Orders).list({
      refCode: query.refCode ?? null,
      outletId: query.outletId ?? null,
      status: query.status ?? null,
      createdSince,
      cursor: yield* cursor.decode(query.cursor),
      limit: query.limit ?? 50
    })
    return { data: page.orders.map(summaryOf), nextCursor: cursor.encode(page.nextCursor) }
  })

export const OrdersHandlers = HttpApiBuilder.group(
  Api,
  "orders",
  Effect.fn(function* (handlers) {
    const config = yield* AppConfig
    const registry = yield* PluginRegistry
    const dispatch = yield* OrderDispatch
    const capabilitiesOf = (provider: string) => {
      const plugin = registry.get(provider)
      if (plugin === undefined) return null
      const declared = new Set(plugin.manifest.capabilities)
      return { orders: declared.has("orders"), linePrices: declared.has("linePrices") }
    }
    const canCancel = (provider: string) => registry.get(provider)?.manifest.capabilities.includes("cancel") ?? false

    return handlers
      .handle("placeOrder", ({ payload }) =>
        Effect.gen(function* () {
          const request = yield* httpErrors(orderRequest(payload))
          const tenant = yield* CurrentTenant
          // The fingerprint is of the decoded request: the same order written with other spacing or key order is the same.
          const fingerprint = orderFingerprint(request)
          let placedId: string | null = null
          const outcome = yield* httpErrors(
            withRefCode(
              {
                operation: "orders.place",
                refCode: request.refCode,
                fingerprint,
                staleAfterMs: config.orderClaimStaleMs,
                retainMs: config.refCodeRetentionMs
              },
              Effect.gen(function* () {
                const now = new Date(yield* Clock.currentTimeMillis)
                const result = yield* placeOrder({
                  request,
                  fingerprint,
                  capabilitiesOf,
                  tenantTax: { taxInclusive: tenant.taxInclusive, taxRatePpm: tenant.taxRatePpm },
                  now,
                  newId,
                  placedBy: ownerOf(yield* CurrentPrincipal)
                })
                if (result.placed) placedId = result.order.orderId
                return { status: 201, body: placedBody(result.order) }
              })
            )
          )
          if (placedId !== null) yield* dispatch.kick(tenant.id)
          return HttpServerResponse.text(outcome.body, { status: outcome.status, contentType: "application/json" })
        })
      )
      .handle("getOrder", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const order = yield* (yield* Orders).get(params.orderId)
            if (order === undefined) return yield* new NotFound({ resource: "order", id: params.orderId })
            return yield* fullView(order)
          })
        )
      )
      .handle("listOrders", ({ query }) =>
        httpErrors(Effect.flatMap(createdSinceOf(query.createdSince), (since) => listOrders(query, since)))
      )
      .handle("cancelOrder", ({ params, payload }) =>
        Effect.gen(function* () {
          const tenant = yield* CurrentTenant
          const now = new Date(yield* Clock.currentTimeMillis)
          const result = yield* httpErrors(
            Effect.flatMap(
              cancelOrder({ orderId: params.orderId, reason: payload.reason ?? null, canCancel, now, newId }),
              (r) => Effect.map(fullView(r.order), (view) => ({ outcome: r.outcome, view }))
            )
          )
          // A cancellation may have queued work due now (for the POS, or a delivery to finish without a
          // call): the due index learns of it here, as of a placement, rather than at the next sweep.
          yield* dispatch.kick(tenant.id)
          return result.outcome === "requested"
            ? HttpServerResponse.jsonUnsafe(result.view, { status: 202 })
            : result.view
        })
      )
  })
)
