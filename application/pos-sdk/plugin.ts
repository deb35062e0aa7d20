import type { Effect, Schema } from "effect"
import type { HttpClient } from "effect/http"
import type { CatalogSnapshot, OutletSnapshot } from "../../domain/catalog.ts"
import type { OrderStatus, PosOrder } from "../../domain/pos-order.ts"
import type { PayloadRejected, PosRejected, PosUnavailable, UnsupportedOperation, WebhookRejected } from "./errors.ts"
import type { PluginManifest } from "./manifest.ts"

/** What a catalog decoder knows besides the payload. */
export interface CatalogContext {
  /** The outlet named by the request (`?externalOutletId=`), for formats that carry none. */
  readonly externalOutletId: string | null
  /** The currency of that outlet when known (for decimal prices): ISO 4217. */
  readonly currency: string | null
}

/** Everything an outbound call to the POS needs: the outlet's credentials and an HTTP client. */
export interface PosCallContext<Credentials> {
  readonly credentials: Credentials
  /** The outlet's identifiers from its outlet sync (e.g. Deliverect channelLinkId). */
  readonly identifiers: Readonly<Record<string, string>>
  readonly http: HttpClient.HttpClient
}

export interface SubmittedOrder {
  /** The POS's own id for the order, when it answers with one. */
  readonly posOrderId: string | null
}

export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The raw body, as signed. */
  readonly body: Uint8Array
}

/** What a POS webhook tells us, in canonical terms. */
export type PosEvent =
  | {
      readonly _tag: "OrderStatusChanged"
      readonly refCode: string | null
      readonly posOrderId: string | null
      /** null when the vendor's status has no canonical meaning (ignored and logged). */
      readonly status: OrderStatus | null
      readonly vendorStatus: string
      readonly reason: string | null
      readonly at: string | null
    }
  | {
      readonly _tag: "ItemsSnoozed"
      readonly externalOutletId: string
      readonly items: ReadonlyArray<{ readonly posCode: string; readonly until: string | null }>
    }
  | { readonly _tag: "BusyModeChanged"; readonly externalOutletId: string; readonly mode: "ONLINE" | "BUSY" | "PAUSED" }
  | { readonly _tag: "MenuChanged"; readonly externalOutletId: string | null }

export interface SyncOutcome {
  readonly status: "ONLINE" | "FAILED"
  readonly comment: string
}

/**
 * A POS plugin: data plus functions. Decoding uses the plugin's own Schemas of the vendor's real
 * formats; every failure is a typed error, never a defect. Outbound calls use the HttpClient they
 * are given, so tests point them at fake POS servers.
 */
export interface PosPlugin<Credentials = unknown> {
  readonly manifest: PluginManifest
  /** The per-outlet credentials this POS needs (base URL, tokens, webhook secret), set by operators. */
  readonly credentials: Schema.Codec<Credentials, unknown>
  readonly decodeOutlets: (payload: unknown) => Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected>
  readonly decodeCatalog: (payload: unknown, context: CatalogContext) => Effect.Effect<CatalogSnapshot, PayloadRejected>
  /** Answers the vendor's sync callback after the commit (Deliverect's asynchronous menu push). */
  readonly acknowledgeCatalog: (
    callback: { readonly url: string },
    outcome: SyncOutcome,
    http: HttpClient.HttpClient
  ) => Effect.Effect<void, PosUnavailable | UnsupportedOperation>
  readonly submitOrder: (
    order: PosOrder,
    context: PosCallContext<Credentials>
  ) => Effect.Effect<SubmittedOrder, PosRejected | PosUnavailable | UnsupportedOperation>
  readonly cancelOrder: (
    order: { readonly refCode: string; readonly posOrderId: string | null; readonly reason: string | null },
    context: PosCallContext<Credentials>
  ) => Effect.Effect<void, PosRejected | PosUnavailable | UnsupportedOperation>
  /** Which outlet a webhook is about, read from the unverified body, to find the secret to verify it with. */
  readonly webhookOutlet: (request: WebhookRequest) => Effect.Effect<string, PayloadRejected>
  readonly verifyWebhook: (request: WebhookRequest, credentials: Credentials) => Effect.Effect<void, WebhookRejected>
  readonly decodeWebhook: (request: WebhookRequest) => Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected>
}
