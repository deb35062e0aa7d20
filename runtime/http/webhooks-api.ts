import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { SchemaErrors, StrictInput, Tenancy, vendorFormat } from "./api-middleware.ts"
import { doc } from "./api-types.ts"
import { BadRequestJson, NotFoundJson, UnauthorizedJson } from "./errors.ts"

/** The vendor's raw bytes, as signed: verified before anything reads them as JSON. */
const WebhookBody = Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/json" })).annotate({
  description: "The POS's own webhook body, exactly as the POS sent and signed it"
})

export const WebhookAnswer = Schema.Struct({
  received: Schema.Literal(true),
  provider: Schema.String,
  delivery: Schema.Literals(["applied", "duplicate"]).annotate({
    description: "`duplicate`: this delivery (the same bytes) was applied before, and changed nothing now"
  }),
  events: Schema.Int.annotate({ description: "How many events the webhook carried" }),
  ignored: Schema.Int.annotate({
    description: "Events not applied: about outlets outside what the request was verified for, or nothing to act on"
  }),
  pulls: Schema.Int.annotate({ description: "Catalog pulls queued for a menu change; they run after this answer" })
}).annotate({ identifier: "WebhookAnswer" })

/**
 * POST /pos/{provider}/webhooks: a POS's own events. No API key: the plugin verifies the request
 * (signature or token) with the outlet's or account's credentials. The vendor's query parameters
 * are tolerated; the body has its own size limit (WEBHOOK_MAX_BODY_BYTES).
 */
export const WebhooksGroup = HttpApiGroup.make("webhooks")
  .add(
    vendorFormat(
      HttpApiEndpoint.post("receive", "/pos/:provider/webhooks", {
        params: { provider: Schema.String.annotate({ description: "The POS plugin's id", examples: ["deliverect"] }) },
        payload: WebhookBody,
        success: WebhookAnswer,
        error: [BadRequestJson, UnauthorizedJson, NotFoundJson]
      })
    ).annotateMerge(
      doc(
        "Receive a POS webhook",
        "Called by the POS, not by partners: no API key. The tenant is the host's first label, the plugin is `{provider}`. The plugin reads which outlet or POS account the request is about, the service loads that outlet's or account's credentials (set by operators), and the plugin verifies the raw request with them: a wrong or missing signature or token, an unknown outlet or account, or no credentials is a 401 `webhook not verified` and changes nothing. A verified request's events are applied at once: snoozes (until a time or until further notice) and busy modes, read by the partner API immediately; order status events are recorded; a menu change queues a pull of the outlet's or account's catalog when the POS can be pulled, run after this answer. The same delivery again (the same bytes) changes nothing (`delivery: duplicate`). Query parameters the vendor adds are tolerated. 400: a body this POS does not send (its problems' paths). 404: no loaded POS plugin has this id. 413: the body is over WEBHOOK_MAX_BODY_BYTES (1 MiB by default)."
      )
    )
  )
  .middleware(SchemaErrors)
  .middleware(StrictInput)
  .middleware(Tenancy)
  .prefix("/api/v1")
  .annotate(HttpApi.ParamsParseOptions, { errors: "all", reportInput: true })
  .annotate(HttpApi.HeadersParseOptions, { errors: "all", reportInput: true })
  .annotateMerge(
    OpenApi.annotations({
      title: "POS webhooks",
      description: "Events POS systems send: verified by their plugin with the outlet's or account's credentials"
    })
  )
