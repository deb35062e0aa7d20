import type { Effect, Schema } from "effect"
import type { HttpClient } from "effect/http"
import type { CatalogSnapshot, OutletSnapshot, Snooze } from "../../domain/catalog.ts"
import type { OrderStatus, PosOrder } from "../../domain/pos-order.ts"
import type {
  MissingCredentials,
  PayloadRejected,
  PosRejected,
  PosUnavailable,
  UnsupportedOperation,
  WebhookRejected
} from "./errors.ts"
import type { PluginManifest } from "./manifest.ts"

/** What a catalog decoder knows besides the payload. */
export interface CatalogContext {
  /** The outlet named by the request (`?externalOutletId=`), for formats that carry none. */
  readonly externalOutletId: string | null
  /** The currency of that outlet when known (for decimal prices): ISO 4217. */
  readonly currency: string | null
}

/**
 * The credentials an operator set, at both levels: the outlet's, and its POS account's (merchant,
 * business, location group). Either is null when it was not set, or when the call concerns no
 * outlet (an account-level webhook or pull). A plugin needing one that is absent fails with
 * `MissingCredentials` (`requireCredentials` does this).
 */
export interface PosCredentials<Outlet, Account> {
  readonly outlet: Outlet | null
  readonly account: Account | null
}

/** What a rotation answers: the value the plugin wanted, and the credentials to store in place of the spent ones. */
export interface Rotated<A, Credentials> {
  readonly value: A
  readonly credentials: Credentials
}

/** One level of stored credentials, for a plugin that must write them back (rotated OAuth tokens). */
export interface CredentialVault<Credentials> {
  /** Replaces the stored credentials of this level (encoded with the plugin's Schema, encrypted at rest). */
  readonly save: (credentials: Credentials) => Effect.Effect<void, PosUnavailable>
  /**
   * Spends a single-use secret (a refresh token): under a lock held across every instance of the
   * service, reads the stored credentials afresh, runs `use` with them, and stores the credentials
   * it answers before the lock is released. Two instances never spend the same refresh token: the
   * second one reads the first one's replacement.
   */
  readonly rotate: <A, E>(
    use: (current: Credentials) => Effect.Effect<Rotated<A, Credentials>, E>
  ) => Effect.Effect<A, E | PosUnavailable | MissingCredentials>
}

/** The outlet a call is about, as its outlet sync described it. */
export interface CallOutlet {
  readonly externalId: string
  /** The outlet's identifiers from its outlet sync (e.g. Deliverect channelLinkId). */
  readonly identifiers: Readonly<Record<string, string>>
}

/** Everything an outbound call to the POS needs: whom it is about, their credentials and an HTTP client. */
export interface PosCallContext<Outlet = unknown, Account = unknown> {
  /** Null for a call about a whole POS account (fetching its outlets). */
  readonly outlet: CallOutlet | null
  /** The POS account the outlet belongs to, or that the call names; null when unknown. */
  readonly accountId: string | null
  readonly credentials: PosCredentials<Outlet, Account>
  readonly vault: { readonly outlet: CredentialVault<Outlet>; readonly account: CredentialVault<Account> }
  readonly http: HttpClient.HttpClient
}

export interface SubmittedOrder {
  /** The POS's own id for the order, when it answers with one. */
  readonly posOrderId: string | null
  /**
   * True when the POS answered that it already has this order (the same refCode): the order was
   * delivered before, by an earlier attempt whose answer was lost. It counts as submitted.
   */
  readonly duplicate: boolean
}

/**
 * A webhook request as the vendor sent it. The body is the raw bytes, as signed; the URL is the
 * one the vendor called (scheme and host as the vendor saw them, behind a trusted proxy too, and
 * the service's base path), so that vendors signing the URL can be verified.
 */
export interface WebhookRequest {
  readonly method: string
  /** The full URL as called: `https://acme.pos.example/api/v1/pos/square/webhooks?x=1`. */
  readonly url: string
  /** The path of that URL, percent-encoding as sent. */
  readonly path: string
  /** The query parameters, decoded, each name with every value it was given, in order. */
  readonly query: Readonly<Record<string, ReadonlyArray<string>>>
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The raw body, as signed. */
  readonly body: Uint8Array
}

/** Whom a webhook is about, read from the unverified request, to find the credentials to verify it with. */
export type WebhookSubject =
  | { readonly _tag: "Outlet"; readonly externalOutletId: string }
  | { readonly _tag: "Account"; readonly accountId: string }

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
      /**
       * Each item (product or modifier option, by its POS code) and its snooze: an instant, until
       * further notice (`UNTIL_FURTHER_NOTICE`), or null when it is available again.
       */
      readonly items: ReadonlyArray<{ readonly posCode: string; readonly until: Snooze }>
    }
  | { readonly _tag: "BusyModeChanged"; readonly externalOutletId: string; readonly mode: "ONLINE" | "BUSY" | "PAUSED" }
  | {
      readonly _tag: "MenuChanged"
      /** The outlet whose menu changed; null with an account for all of the account's outlets, null with none for the webhook's subject. */
      readonly externalOutletId: string | null
      readonly accountId: string | null
    }

export interface SyncOutcome {
  readonly status: "ONLINE" | "FAILED"
  readonly comment: string
}

/** Why a pull did not bring a catalog or outlets. */
export type PullFailure = PayloadRejected | PosRejected | PosUnavailable | MissingCredentials

/**
 * The optional `pull` capability, for POS systems whose API is asked rather than pushing (Lightspeed,
 * Square, Atlas Kitchen's Admin API). What it answers goes through exactly the same sync as a push.
 */
export interface PosPull<Outlet, Account> {
  /** The outlets of the POS account the context names (or of the outlet's account). */
  readonly fetchOutlets: (
    context: PosCallContext<Outlet, Account>
  ) => Effect.Effect<ReadonlyArray<OutletSnapshot>, PullFailure>
  /** One outlet's full catalog, as a push of it would decode; `context.outlet` is set. */
  readonly fetchCatalog: (
    outlet: CallOutlet,
    context: PosCallContext<Outlet, Account>
  ) => Effect.Effect<CatalogSnapshot, PullFailure>
}

/**
 * A POS plugin: data plus functions. Decoding uses the plugin's own Schemas of the vendor's real
 * formats; every failure is a typed error, never a defect. Outbound calls use the HttpClient they
 * are given, so tests point them at fake POS servers.
 */
export interface PosPlugin<Outlet = unknown, Account = unknown> {
  readonly manifest: PluginManifest
  /**
   * The credentials this POS needs, set by operators: per outlet (POS API base URL, tokens, webhook
   * secret) and per POS account (for webhooks and calls that name no outlet; null when the POS has
   * no account level). Stored encrypted, never returned or logged.
   */
  readonly credentials: {
    readonly outlet: Schema.Codec<Outlet, unknown>
    readonly account: Schema.Codec<Account, unknown> | null
  }
  readonly decodeOutlets: (payload: unknown) => Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected>
  readonly decodeCatalog: (payload: unknown, context: CatalogContext) => Effect.Effect<CatalogSnapshot, PayloadRejected>
  /** Answers the vendor's sync callback after the commit (Deliverect's asynchronous menu push). */
  readonly acknowledgeCatalog: (
    callback: { readonly url: string },
    outcome: SyncOutcome,
    context: PosCallContext<Outlet, Account>
  ) => Effect.Effect<void, PosUnavailable | UnsupportedOperation | MissingCredentials>
  readonly submitOrder: (
    order: PosOrder,
    context: PosCallContext<Outlet, Account>
  ) => Effect.Effect<SubmittedOrder, PosRejected | PosUnavailable | UnsupportedOperation | MissingCredentials>
  readonly cancelOrder: (
    order: { readonly refCode: string; readonly posOrderId: string | null; readonly reason: string | null },
    context: PosCallContext<Outlet, Account>
  ) => Effect.Effect<void, PosRejected | PosUnavailable | UnsupportedOperation | MissingCredentials>
  /** Which outlet or POS account a webhook is about, read from the unverified request, to find the credentials to verify it with. */
  readonly webhookOutlet: (request: WebhookRequest) => Effect.Effect<WebhookSubject, PayloadRejected>
  readonly verifyWebhook: (
    request: WebhookRequest,
    credentials: PosCredentials<Outlet, Account>
  ) => Effect.Effect<void, WebhookRejected>
  readonly decodeWebhook: (request: WebhookRequest) => Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected>
  /** Present when the manifest declares `pull`. */
  readonly pull?: PosPull<Outlet, Account>
}
