import type {
  CallOutlet,
  CatalogContext,
  PosCredentials,
  PosOrder,
  WebhookRequest,
  WebhookSubject
} from "@pos-integration/sdk"

/** A vendor's outlet payload and the outlets it must decode to. */
export interface OutletFixture {
  readonly name: string
  readonly payload: unknown
  readonly expectedExternalIds: ReadonlyArray<string>
}

/** How many objects of each kind a catalog must decode to. */
export interface CatalogCounts {
  readonly products: number
  readonly modifierGroups: number
  readonly modifierOptions: number
  readonly menus: number
}

/** A vendor's catalog payload, the context it is decoded with, and what it must decode to. */
export interface CatalogFixture {
  readonly name: string
  readonly payload: unknown
  readonly context: CatalogContext
  readonly expected: CatalogCounts & { readonly outletIds: ReadonlyArray<string> }
}

/** An authentic webhook, as the vendor sent it, with the credentials it verifies with. */
export interface WebhookFixture<Outlet, Account> {
  readonly name: string
  /** Build it with `makeWebhookRequest`, on a URL as the service serves it: `https://acme.pos.example/api/v1/pos/<provider>/webhooks`. */
  readonly request: WebhookRequest
  readonly credentials: PosCredentials<Outlet, Account>
  readonly expectedEvents: number
  /** Whom `webhookOutlet` must say it is about; when absent, any Outlet or Account subject will do. */
  readonly subject?: WebhookSubject
  /**
   * True when the vendor signs the URL it called (Square signs URL + body): a request with another
   * path or query must then be refused. When absent or false, the URL may change (a base path, a
   * proxy, a parameter added) and the request must still decode to the same events.
   */
  readonly signsUrl?: boolean
}

/** A running fake of the vendor's API, on loopback. */
export interface FakeServer {
  /** Its base URL: `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly close: () => Promise<void>
}

/**
 * Pulling outlets and a catalog from a fake of the vendor's API (plugins declaring `pull`). The kit
 * starts the server, builds the call context (an in-memory vault, a fetch-based HTTP client), pulls
 * twice, and closes it.
 */
export interface PullFixture<Outlet, Account> {
  /** Starts a fresh fake server; each test starts its own and closes it. */
  readonly start: () => Promise<FakeServer>
  /** Credentials of both levels that reach that server (its URL as the base URL). */
  readonly credentials: (url: string) => PosCredentials<Outlet, Account>
  /** The POS account the pull is about (the context's `accountId`). */
  readonly accountId: string | null
  /** What `fetchOutlets` must answer: these external ids, in any order. */
  readonly expectedOutletIds: ReadonlyArray<string>
  /** The outlet whose catalog `fetchCatalog` pulls. */
  readonly catalogOutlet: CallOutlet
  /** What that catalog must hold. */
  readonly expected: CatalogCounts
}

/**
 * How a fake POS answers order requests (submit and cancel) in the order checks. Cancellations are
 * tried with "accept" (the vendor cancelled it), "reject" and "unavailable" only.
 */
export type FakeOrderAnswer =
  /** The order is taken: the vendor's success answer, with its own order id. */
  | "accept"
  /** The vendor already has an order with this idempotency key (the refCode): its own duplicate answer. */
  | "duplicate"
  /** A business refusal (an unknown item, a closed store): final. */
  | "reject"
  /** A 5xx. */
  | "unavailable"
  /** Accepts the connection and never answers. */
  | "hang"
  /** Resets the connection once the request arrived. */
  | "reset"

/** A running fake of the vendor's order API. */
export interface FakeOrderServer extends FakeServer {
  /**
   * How many order requests (submit or cancel, not token requests) it received so far: each one
   * counted, and its body recorded, as soon as its body has arrived, before the fake answers (or
   * hangs, or resets the connection).
   */
  readonly orderRequests: () => number
  /** The bodies of those requests, in order, as received. */
  readonly orderBodies: () => ReadonlyArray<string>
}

/**
 * Submitting and cancelling orders against a fake of the vendor's order API (plugins declaring
 * `orders`; `cancel` too). The kit starts one server per answer, submits (and cancels, with
 * `cancel`) once with these credentials, and checks the typed outcome, that exactly one order
 * request was sent (the order's refCode in its body), and that no string of the credentials shows
 * in the failure or in anything logged.
 */
export interface OrderFixture<Outlet, Account> {
  /** Starts a fresh fake answering every order request as `answer` says (token endpoints answer normally). */
  readonly start: (answer: FakeOrderAnswer) => Promise<FakeOrderServer>
  /** Credentials of both levels that reach that server (its URL as the base URL). */
  readonly credentials: (url: string) => PosCredentials<Outlet, Account>
  /** The outlet the order is for, as its outlet sync described it. */
  readonly outlet: CallOutlet
  readonly accountId: string | null
  /** The order to submit; its lines carry POS codes the vendor knows. */
  readonly order: PosOrder
  /**
   * The POS order id the fake answers for "accept" and "duplicate", when the vendor answers one:
   * what submitOrder must answer, and what cancelOrder is given.
   */
  readonly posOrderId: string | null
  /**
   * How the vendor answers an order it already has (the same idempotency key): "marked" (by
   * default) when its answer says so (a 409, a flag), so the plugin answers `duplicate: true`;
   * "like-success" when it answers exactly as for a new order (Deliverect: 201, the repeat hidden
   * as a duplicate on its side), so the plugin cannot tell and answers `duplicate: false`. Either
   * way it is a success: the POS has the order once.
   */
  readonly duplicateAnswer?: "marked" | "like-success"
}

export interface ConformanceFixtures<Outlet, Account = never> {
  readonly outlets: ReadonlyArray<OutletFixture>
  readonly catalogs: ReadonlyArray<CatalogFixture>
  /** Payloads of other POS systems, which this plugin must refuse. */
  readonly foreignCatalogs: ReadonlyArray<{ readonly name: string; readonly payload: unknown }>
  /** Authentic webhooks: each verifies with its credentials and decodes to this many events. */
  readonly webhooks: ReadonlyArray<WebhookFixture<Outlet, Account>>
  /**
   * Sample credentials of both levels, as an operator would set them. `account` is null when the
   * plugin's `credentials.account` Schema is null.
   */
  readonly credentials: PosCredentials<Outlet, Account>
  /**
   * "signature" when webhooks sign the body (then any change to the body must be refused);
   * "token" when a shared token authenticates them (a token cannot protect the body).
   */
  readonly webhookAuth?: "signature" | "token"
  /** Required when the manifest declares `pull`. */
  readonly pull?: PullFixture<Outlet, Account>
  /**
   * An order the plugin maps to a request (for the checks that no credential leaks from
   * submitOrder and cancelOrder); by default the kit builds one from the first catalog fixture.
   */
  readonly order?: PosOrder
  /** Required when the manifest declares `orders` or `cancel`. */
  readonly orders?: OrderFixture<Outlet, Account>
}
