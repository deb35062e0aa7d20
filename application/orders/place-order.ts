/**
 * Placing an order (SPEC sections 6 and 10). The checks run in this order, each refusing before
 * anything is written:
 *
 * 1. An order already holding the refCode answers itself (the same fingerprint) or a 409 `refcode
 *    conflict`: a retry of an accepted order always gets its answer, whatever the menu says now.
 * 2. The outlet (404), a POS that takes orders (409), busy mode PAUSED (409 `outlet paused`), a
 *    `scheduledFor` in the future but within a week (400), a known `customerId` (404).
 * 3. The order against the outlet's effective menu at placement (or at `scheduledFor`), priced by
 *    the server (domain/order-pricing.ts): every problem in one 400.
 * 4. The order, its first timeline entry and its outbox row commit together; an order placed with
 *    the same refCode meanwhile answers as in 1.
 */

import { Effect } from "effect"
import { currentTraceContext } from "./trace-context.ts"
import { InvalidInput, NotFound, OrderConflict, RefCodeConflict, type StorageError } from "../../domain/errors.ts"
import type { Order, OrderProblem, OrderRequest } from "../../domain/order.ts"
import { priceOrder } from "../../domain/order-pricing.ts"
import type { WebhookOwner } from "../../domain/webhook-endpoint.ts"
import { outletOrNotFound } from "../catalog/read-catalog.ts"
import type { Catalog, Outlets } from "../ports/catalog.ts"
import { Customers } from "../ports/customers.ts"
import type { Menus } from "../ports/menus.ts"
import { Orders } from "../ports/orders.ts"
import { orderableMenu } from "./orderable-menu.ts"

/** How far ahead an order may be scheduled: the effective menu is known for the coming week. */
export const MAX_SCHEDULE_AHEAD_MS = 7 * 24 * 60 * 60 * 1000

/** What the outlet's POS plugin declares about orders; null when its plugin is not loaded. */
export interface OrderingCapabilities {
  readonly orders: boolean
  readonly linePrices: boolean
}

export interface PlaceOrderInput {
  readonly request: OrderRequest
  /** SHA-256 of the canonical JSON of the decoded request. */
  readonly fingerprint: string
  /** The capabilities of the plugin of the outlet's provider (looked up by the caller). */
  readonly capabilitiesOf: (provider: string) => OrderingCapabilities | null
  /** The tenant's tax defaults, set by operators. */
  readonly tenantTax: { readonly taxInclusive: boolean; readonly taxRatePpm: number | null }
  readonly now: Date
  readonly newId: (prefix: string) => string
  /** The key or OAuth client placing it: its webhook endpoints hear the order's events. */
  readonly placedBy?: WebhookOwner | null
}

export interface PlaceOrderResult {
  readonly order: Order
  /** False when the refCode's order already existed (a retry): nothing was written. */
  readonly placed: boolean
}

/** The problems as a 400's details: `path: message` each, in order. */
export const problemDetails = (problems: ReadonlyArray<OrderProblem>): string =>
  problems.map((p) => `${p.path}: ${p.message}`).join("; ")

const existingAnswer = (order: Order, fingerprint: string) =>
  order.fingerprint === fingerprint
    ? Effect.succeed<PlaceOrderResult>({ order, placed: false })
    : Effect.fail(new RefCodeConflict({ refCode: order.refCode }))

export const placeOrder = (
  input: PlaceOrderInput
): Effect.Effect<
  PlaceOrderResult,
  InvalidInput | NotFound | OrderConflict | RefCodeConflict | StorageError,
  Orders | Outlets | Catalog | Menus | Customers
> =>
  Effect.gen(function* () {
    const { request, now } = input
    const orders = yield* Orders
    const existing = yield* orders.getByRefCode(request.refCode)
    if (existing !== undefined) return yield* existingAnswer(existing, input.fingerprint)

    const store = yield* outletOrNotFound(request.outletId)
    const capabilities = input.capabilitiesOf(store.provider)
    if (capabilities === null || !capabilities.orders) {
      return yield* new OrderConflict({
        message: "orders not supported",
        details: `outlet '${store.id}' is served by the ${store.provider} POS, which ${
          capabilities === null ? "has no plugin loaded in this service" : "does not take orders through this service"
        }`
      })
    }
    if (store.busyMode === "PAUSED") {
      return yield* new OrderConflict({
        message: "outlet paused",
        details: `outlet '${store.id}' is not taking orders: its kitchen set busy mode PAUSED at the POS; retry later`
      })
    }
    const scheduledFor = request.fulfilment.scheduledFor
    if (scheduledFor !== null && scheduledFor.getTime() <= now.getTime()) {
      return yield* new InvalidInput({
        details: `body.fulfilment.scheduledFor: must be in the future, got ${JSON.stringify(scheduledFor.toISOString())}`
      })
    }
    if (scheduledFor !== null && scheduledFor.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
      return yield* new InvalidInput({
        details: `body.fulfilment.scheduledFor: must be within 7 days, got ${JSON.stringify(scheduledFor.toISOString())}`
      })
    }
    let resolved = request
    if (request.customer.customerId !== null) {
      const customer = yield* (yield* Customers).get(request.customer.customerId)
      if (customer === undefined) return yield* new NotFound({ resource: "customer", id: request.customer.customerId })
      // The POS gets the customer's contact details as stored (the request's own, when it gives them).
      resolved = {
        ...request,
        customer: {
          customerId: customer.id,
          name: request.customer.name ?? customer.name,
          phone: request.customer.phone ?? customer.phone,
          email: request.customer.email ?? customer.email
        }
      }
    }

    const at = scheduledFor ?? now
    const menu = yield* orderableMenu(
      store,
      request.items.map((i) => i.productId),
      at
    )
    const outcome = priceOrder(
      resolved,
      menu,
      {
        outletTaxInclusive: store.taxInclusive,
        outletTaxRatePpm: null,
        tenantTaxInclusive: input.tenantTax.taxInclusive,
        tenantTaxRatePpm: input.tenantTax.taxRatePpm
      },
      { linePrices: capabilities.linePrices }
    )
    if (outcome._tag === "Refused") return yield* new InvalidInput({ details: problemDetails(outcome.problems) })

    const order: Order = {
      orderId: input.newId("ord"),
      refCode: request.refCode,
      fingerprint: input.fingerprint,
      outletId: store.id,
      provider: store.provider,
      outletExternalId: store.externalId,
      status: "RECEIVED",
      request: resolved,
      priced: outcome.priced,
      menuSource: menu.source,
      menus: menu.menus,
      posOrderId: null,
      createdAt: now,
      updatedAt: now
    }
    // The request's trace goes with the outbox row: its delivery continues it.
    const placed = yield* orders.place(order, input.newId("obx"), input.placedBy ?? null, yield* currentTraceContext)
    if (placed._tag === "RefCodeTaken") return yield* existingAnswer(placed.order, input.fingerprint)
    return { order, placed: true }
  })
