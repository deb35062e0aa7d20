import { randomBytes } from "node:crypto"
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AdminServices } from "../cli/admin-services.ts"
import { runCaptured } from "../cli/captured-run.ts"
import { makeCli } from "../cli/commands.ts"
import { sameText } from "../console/session.ts"
import { adminApiPrefix } from "./admin-api.ts"
import { envelopeJson } from "./errors.ts"
import { isLoopback, refusedResponse } from "./middleware.ts"

/** Where the running service answers the admin CLI of its machine. */
export const localCliPath = `${adminApiPrefix}/local/cli` as const

/** The file, in the data directory, that tells the CLI where the running service is and how to call it. */
export const endpointFileName = "admin-endpoint.json"

/** What the endpoint file holds (owner-only permissions: the token is a secret). */
export interface LocalEndpoint {
  readonly url: string
  readonly token: string
  readonly pid: number
}

/** The token of this run of the service: new at each start, never logged. */
export class LocalAdminToken extends Context.Service<LocalAdminToken, { readonly token: string }>()(
  "pos/runtime/LocalAdminToken"
) {
  static readonly make = () => ({ token: `posl_${randomBytes(32).toString("base64url")}` })
}

/** The loopback address the CLI calls: where the server listens, or 127.0.0.1 when it listens on every interface. */
export const loopbackHost = (host: string | undefined): string => {
  if (host === undefined || host === "" || host === "0.0.0.0" || host === "::") return "127.0.0.1"
  return host.includes(":") ? `[${host}]` : host
}

/**
 * Writes the endpoint file for this run (written beside it and renamed into place, so the CLI never
 * reads half of it) and removes it when the scope closes. Owner-only from its creation.
 */
export const writeEndpointFile = (dataDir: string, endpoint: LocalEndpoint) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const path = join(dataDir, endpointFileName)
      const draft = `${path}.${process.pid}.new`
      writeFileSync(draft, `${JSON.stringify(endpoint)}\n`, { mode: 0o600 })
      // The mode given to writeFileSync is masked by the umask, and does not apply to a file that existed.
      chmodSync(draft, 0o600)
      renameSync(draft, path)
      return path
    }),
    (path) => Effect.sync(() => rmSync(path, { force: true }))
  )

const CliRequest = Schema.Struct({
  argv: Schema.Array(Schema.String.pipe(Schema.check(Schema.isMaxLength(65_536)))).pipe(
    Schema.check(Schema.isMaxLength(256))
  )
})
const decodeCliRequest = Schema.decodeUnknownOption(CliRequest)

/**
 * `POST /admin/api/v1/local/cli` `{"argv": [...]}`: runs one admin command in the service, with the
 * service's own storage, answering `{stdout, stderr, exitCode}` as the command printed them. Only
 * with this run's token (`Authorization: Bearer ...`) from a loopback peer: anything else is the one
 * 401. Not in the OpenAPI document: it is the CLI's, not an API for integrators.
 */
export const localCliRoute = HttpRouter.add(
  "POST",
  localCliPath,
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const token = yield* Effect.serviceOption(LocalAdminToken)
    const presented = /^Bearer (\S+)$/.exec(request.headers["authorization"] ?? "")?.[1] ?? ""
    const peer = Option.getOrUndefined(request.remoteAddress)
    if (Option.isNone(token) || peer === undefined || !isLoopback(peer) || !sameText(presented, token.value.token)) {
      return refusedResponse()
    }
    const body = yield* Effect.option(request.json)
    const input = Option.flatMap(body, decodeCliRequest)
    if (Option.isNone(input)) {
      return HttpServerResponse.text(
        envelopeJson(400, "invalid request", 'body: expected {"argv": [strings]}, at most 256 of them'),
        { status: 400, contentType: "application/json" }
      )
    }
    const services = yield* Effect.context<AdminServices>()
    const outcome = yield* runCaptured(makeCli(Layer.succeedContext(services)), input.value.argv)
    return yield* HttpServerResponse.json(outcome)
  }).pipe(Effect.orDie)
)
