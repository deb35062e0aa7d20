import {
  type CatalogContext,
  manifestFrom,
  PayloadRejected,
  type PosPlugin,
  WebhookRejected
} from "@pos-integration/sdk"
import { Effect } from "effect"
import pkg from "./package.json" with { type: "json" }
import { acknowledgeCatalog } from "./src/acknowledge.ts"
import { toCatalogSnapshot } from "./src/catalog.ts"
import { type AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { decodeMenuPush } from "./src/menu-push.ts"
import { cancelOrder, submitOrder } from "./src/orders.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { decodeWebhook, verifyWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

/**
 * A decoder never throws and never dies, whatever the input: a defect (a bug meeting an input no
 * test thought of, a hostile object) still answers as a rejected payload rather than a 500. The
 * decoder is started inside, so that even its synchronous part is covered.
 */
const guarded = <A>(decode: () => Effect.Effect<A, PayloadRejected>): Effect.Effect<A, PayloadRejected> =>
  Effect.suspend(decode).pipe(
    Effect.catchDefect(() => Effect.fail(PayloadRejected.one("(root)", "the payload could not be decoded")))
  )

const plugin: PosPlugin<OutletCredentials, AccountCredentials> = {
  // The manifest lives in package.json only, so the two cannot differ.
  manifest: manifestFrom(pkg.manifest),
  // Per channel link only: Deliverect has no account level of credentials (README.md, "Credentials").
  credentials: { outlet: OutletCredentials, account: null },
  decodeOutlets: (payload) => guarded(() => decodeOutlets(payload)),
  decodeCatalog: (payload: unknown, _context: CatalogContext) =>
    // Deliverect names its stores and prices in cents itself: the context adds nothing.
    guarded(() => Effect.flatMap(decodeMenuPush(payload), toCatalogSnapshot)),
  acknowledgeCatalog,
  // Channel API "Create / Cancel Order": an order, and its cancellation, go to the channel link's order endpoint.
  submitOrder,
  cancelOrder,
  webhookOutlet: (request) => guarded(() => webhookOutlet(request)),
  verifyWebhook: (request, credentials) =>
    Effect.suspend(() => verifyWebhook(request, credentials)).pipe(
      Effect.catchDefect(() => Effect.fail(new WebhookRejected({ reason: "the request could not be verified" })))
    ),
  decodeWebhook: (request) => guarded(() => decodeWebhook(request))
}

export default plugin
