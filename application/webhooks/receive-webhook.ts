import { Effect, Random } from "effect"
import { snoozeInstant } from "../../domain/catalog.ts"
import { InvalidPayload, type StorageError, WebhookNotVerified } from "../../domain/errors.ts"
import { Outlets, type StoreRow } from "../ports/catalog.ts"
import type { Order, OrderStatus } from "../../domain/order.ts"
import { canMove } from "../../domain/order-status.ts"
import { Orders, type StatusChange } from "../ports/orders.ts"
import { type Delivery, type JobRow, type OrderEventRow, PosInbox } from "../ports/pos-inbox.ts"
import type { PosCredentials, PosEvent, PosPlugin, WebhookRequest, WebhookSubject } from "../pos-sdk/plugin.ts"

/** About one delivery in this many forgets the deliveries older than the retention. */
const PURGE_ONE_IN = 64

/** Where a webhook's credentials come from: the outlet's and its account's, or the account's alone. */
export type CredentialsLoader<E, R> = (
  subject: { readonly store: StoreRow } | { readonly accountId: string }
) => Effect.Effect<PosCredentials<unknown, unknown>, E, R>

export interface WebhookOutcome {
  readonly provider: string
  /** "duplicate": this delivery was applied before; nothing changed now. */
  readonly delivery: "applied" | "duplicate"
  readonly events: number
  /** Events about outlets outside what the request was verified for, or that this POS cannot act on. */
  readonly ignored: ReadonlyArray<string>
  /** Pulls queued for MenuChanged (a pull already pending for the same outlet or account is joined). */
  readonly pulls: number
}

const subjectText = (subject: WebhookSubject) =>
  subject._tag === "Outlet" ? `outlet '${subject.externalOutletId}'` : `account '${subject.accountId}'`

/**
 * A POS webhook (SPEC 7.2): the plugin names the outlet or account from the unverified request, its
 * credentials are loaded, the plugin verifies the raw request with them (a failure is a 401 and
 * changes nothing), then decodes it into events that are applied in one transaction: snoozes and
 * busy modes at once, order events recorded, and a pull queued for a menu change. Only events about
 * what the request was verified for are applied: a delivery verified with one outlet's secret cannot
 * change another outlet (nor move another outlet's order). The same delivery twice (the same bytes)
 * has one effect.
 *
 * Order statuses move the orders they name (by refCode, else by the POS's order id) through the
 * transition table (domain/order-status.ts) before the delivery is recorded: a crash in between
 * leaves the delivery unrecorded, so the vendor's retry applies it again, and a status an order
 * already has changes nothing. A vendor status with no canonical meaning, or one the table refuses,
 * changes no status: it is noted in the order's timeline (and logged) after the delivery is
 * recorded, by the delivery that recorded it only, so that a twin delivered at the same moment (a
 * vendor's retry while the first is still being applied) does not note it twice.
 */
export const receiveWebhook = <E, R>(input: {
  readonly plugin: PosPlugin
  readonly request: WebhookRequest
  readonly receivedAt: Date
  /** Identifies the delivery (a digest of its raw body): the same bytes again change nothing. */
  readonly dedupeKey: string
  /** How long a delivery is remembered to recognise it again (vendors retry within hours). */
  readonly retainMs: number
  readonly loadCredentials: CredentialsLoader<E, R>
  readonly newId: (prefix: string) => string
}): Effect.Effect<
  WebhookOutcome,
  E | InvalidPayload | WebhookNotVerified | StorageError,
  Outlets | PosInbox | Orders | R
> =>
  Effect.gen(function* () {
    const { plugin, request, receivedAt } = input
    const provider = plugin.manifest.id
    const notVerified = (reason: string) => new WebhookNotVerified({ provider, reason })
    const invalid = (issues: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
      new InvalidPayload({ provider, issues })

    const subject = yield* plugin.webhookOutlet(request).pipe(Effect.mapError((e) => invalid(e.issues)))
    const outlets = yield* Outlets
    const byExternalId = new Map<string, StoreRow | undefined>()
    const findStore = Effect.fnUntraced(function* (externalId: string) {
      if (!byExternalId.has(externalId)) {
        byExternalId.set(externalId, (yield* outlets.findByExternalIds(provider, [externalId]))[0])
      }
      return byExternalId.get(externalId)
    })

    let verifiedStore: StoreRow | undefined
    if (subject._tag === "Outlet") {
      verifiedStore = yield* findStore(subject.externalOutletId)
      if (verifiedStore === undefined) {
        return yield* notVerified(`${subjectText(subject)} is not known here (sync its outlets first)`)
      }
    }
    const credentials = yield* input.loadCredentials(
      subject._tag === "Account" ? { accountId: subject.accountId } : { store: verifiedStore! }
    )
    if (credentials.outlet === null && credentials.account === null) {
      return yield* notVerified(`no credentials are set for ${subjectText(subject)}`)
    }
    yield* plugin.verifyWebhook(request, credentials).pipe(Effect.mapError((e) => notVerified(e.reason)))
    const events = yield* plugin.decodeWebhook(request).pipe(Effect.mapError((e) => invalid(e.issues)))
    const inbox = yield* PosInbox
    const orders = yield* Orders
    // Seen before: nothing is applied again (a concurrent twin is caught by accept's own check).
    if (yield* inbox.seen(provider, input.dedupeKey)) {
      return { provider, delivery: "duplicate", events: events.length, ignored: [], pulls: 0 } satisfies WebhookOutcome
    }

    /** The outlet an event may change: the verified one, or one of the verified account's. */
    const inScope = Effect.fnUntraced(function* (externalId: string | null) {
      if (subject._tag === "Outlet") {
        return externalId === null || externalId === subject.externalOutletId ? verifiedStore : undefined
      }
      if (externalId === null) return undefined
      const store = yield* findStore(externalId)
      return store !== undefined && store.accountId === subject.accountId ? store : undefined
    })

    const ignored: Array<string> = []
    const snoozes: Array<Delivery["snoozes"][number]> = []
    const busyModes: Array<Delivery["busyModes"][number]> = []
    const orderEvents: Array<OrderEventRow> = []
    const jobs: Array<JobRow> = []
    const moves: Array<{ readonly order: Order; readonly change: StatusChange }> = []
    /**
     * The order an event names, when it is this POS's and of an outlet the request was verified for.
     * By its refCode when the event gives one (the POS's id then only travels with it: a refCode no
     * order has names no order, whatever order holds the POS id); by the POS's id otherwise.
     */
    const orderOf = Effect.fnUntraced(function* (refCode: string | null, posOrderId: string | null) {
      const order =
        refCode !== null
          ? yield* orders.getByRefCode(refCode)
          : posOrderId === null
            ? undefined
            : yield* orders.getByPosOrderId(provider, posOrderId)
      if (order === undefined || order.provider !== provider) return undefined
      if (subject._tag === "Outlet") return order.outletId === verifiedStore?.id ? order : undefined
      const store = yield* outlets.get(order.outletId)
      return store !== undefined && store.accountId === subject.accountId ? order : undefined
    })
    const job = (externalOutletId: string | null, accountId: string | null): JobRow => ({
      id: input.newId("job"),
      kind: "pull",
      provider,
      externalOutletId,
      accountId,
      reason: "webhook",
      status: "pending",
      attempts: 0,
      runAfter: receivedAt,
      lastError: null,
      createdAt: receivedAt,
      finishedAt: null
    })

    const apply = Effect.fnUntraced(function* ({ order, change }: (typeof moves)[number]) {
      const moved = yield* orders.move(order.orderId, change)
      if (moved._tag === "Refused") {
        yield* Effect.logInfo("a POS order status that the transition table refuses: recorded, not applied", {
          provider,
          order: order.orderId,
          from: moved.from,
          to: moved.to
        })
      }
    })

    for (const event of events as ReadonlyArray<PosEvent>) {
      switch (event._tag) {
        case "ItemsSnoozed":
        case "BusyModeChanged": {
          const store = yield* inScope(event.externalOutletId)
          if (store === undefined) {
            ignored.push(`${event._tag} for outlet '${event.externalOutletId}', outside ${subjectText(subject)}`)
          } else if (event._tag === "ItemsSnoozed") {
            snoozes.push({
              storeId: store.id,
              items: event.items.map((item) => ({ posCode: item.posCode, until: snoozeInstant(item.until) }))
            })
          } else {
            busyModes.push({ storeId: store.id, mode: event.mode })
          }
          break
        }
        case "MenuChanged": {
          if (plugin.pull === undefined || !plugin.manifest.capabilities.includes("pull")) {
            ignored.push("MenuChanged: this POS pushes its menus (no pull capability)")
            break
          }
          if (event.externalOutletId !== null) {
            const store = yield* inScope(event.externalOutletId)
            if (store === undefined)
              ignored.push(`MenuChanged for outlet '${event.externalOutletId}', outside ${subjectText(subject)}`)
            else jobs.push(job(store.externalId, store.accountId))
          } else if (subject._tag === "Account") {
            if (event.accountId !== null && event.accountId !== subject.accountId) {
              ignored.push(`MenuChanged for account '${event.accountId}', outside ${subjectText(subject)}`)
            } else jobs.push(job(null, subject.accountId))
          } else {
            jobs.push(job(verifiedStore!.externalId, verifiedStore!.accountId))
          }
          break
        }
        case "OrderStatusChanged": {
          const order = yield* orderOf(event.refCode, event.posOrderId)
          if (order === undefined) {
            ignored.push(
              `OrderStatusChanged for order ${event.refCode ?? event.posOrderId ?? "(unnamed)"}: no order of ${subjectText(subject)} has it`
            )
          } else {
            if (event.status === null) {
              yield* Effect.logWarning("a POS order status with no canonical meaning: recorded, not applied", {
                provider,
                order: order.orderId,
                vendorStatus: event.vendorStatus
              })
            }
            moves.push({
              order,
              change: {
                to: event.status,
                source: "pos",
                vendorStatus: event.vendorStatus,
                reason: event.reason,
                at: event.at === null ? receivedAt : new Date(event.at),
                posOrderId: event.posOrderId
              }
            })
          }
          orderEvents.push({
            id: input.newId("oev"),
            provider,
            refCode: event.refCode,
            posOrderId: event.posOrderId,
            status: event.status,
            vendorStatus: event.vendorStatus,
            reason: event.reason,
            at: event.at === null ? null : new Date(event.at),
            receivedAt
          })
          break
        }
      }
    }

    // The moves the table allows (as the orders stand, each event after the one before) go now;
    // the others only add a note to the timeline and wait for the delivery to be recorded.
    const status = new Map<string, OrderStatus>()
    const notes: typeof moves = []
    for (const move of moves) {
      const current = status.get(move.order.orderId) ?? move.order.status
      const to = move.change.to
      if (to !== null && (to === current || canMove(current, to))) {
        yield* apply(move)
        status.set(move.order.orderId, to)
      } else {
        notes.push(move)
      }
    }
    const delivery = yield* inbox.accept({
      provider,
      dedupeKey: input.dedupeKey,
      receivedAt,
      snoozes,
      busyModes,
      orderEvents,
      jobs
    })
    if (delivery === "applied") for (const note of notes) yield* apply(note)
    if (ignored.length > 0) yield* Effect.logWarning("webhook events ignored", { provider, ignored })
    // Now and then a delivery clears the ones too old to be retried, so they do not pile up. A
    // failure here is not the vendor's.
    if ((yield* Random.nextIntBetween(0, PURGE_ONE_IN, { halfOpen: true })) === 0) {
      yield* inbox
        .purgeDeliveries(new Date(receivedAt.getTime() - input.retainMs))
        .pipe(Effect.catch((error) => Effect.logWarning("purging old webhook deliveries failed", error.message)))
    }
    return {
      provider,
      delivery,
      events: events.length,
      ignored,
      pulls: delivery === "applied" ? jobs.length : 0
    } satisfies WebhookOutcome
  })
