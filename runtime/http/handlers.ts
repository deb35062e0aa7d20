import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { storageReason } from "../failures.ts"
import { CurrentReadiness, notReadyDetails } from "../lifecycle/readiness.ts"
import { Api } from "./api.ts"
import { CurrentPrincipal } from "./context.ts"
import { ServiceUnavailable } from "./errors.ts"

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function* (handlers) {
    const directory = yield* TenantDirectory
    const readiness = yield* CurrentReadiness
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" }))
      .handle("readyz", () => {
        // Starting or draining: not ready whatever the database says, so no traffic is sent here.
        const phase = readiness.phase()
        if (phase !== "ready") {
          return Effect.fail(
            new ServiceUnavailable({ message: "temporarily unavailable", details: notReadyDetails[phase] })
          )
        }
        return directory.ping.pipe(
          Effect.as({ status: "ready" }),
          Effect.catchTag("StorageError", (e) =>
            Effect.andThen(
              Effect.logWarning("control database not ready", storageReason(e)),
              Effect.fail(
                new ServiceUnavailable({ message: "temporarily unavailable", details: "control database unreachable" })
              )
            )
          )
        )
      })
  })
)

export const AuthHandlers = HttpApiBuilder.group(Api, "auth", (handlers) =>
  handlers.handle("whoami", () =>
    Effect.map(CurrentPrincipal, (p) => ({
      authenticated: true as const,
      tenantId: p.tenantId,
      scheme: p.scheme,
      apiKeyId: p.scheme === "apiKey" ? p.keyId : null,
      clientId: p.scheme === "bearer" ? p.clientId : null,
      expiresAt: p.expiresAt?.toISOString() ?? null,
      name: p.scheme === "apiKey" ? p.name : null,
      kind: p.scheme === "apiKey" ? p.kind : null,
      scopes: p.scopes
    }))
  )
)
