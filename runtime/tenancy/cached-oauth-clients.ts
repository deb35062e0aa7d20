import { Effect, Layer } from "effect"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { makeRefreshingSet } from "./refreshing-set.ts"

/**
 * One tenant's OAuthClients as the service uses them: the revoked client ids are held in memory and
 * read again once per TTL, so checking an access token costs no storage call, and a revocation
 * elsewhere takes effect within the TTL (at once for one made through this layer).
 */
export const cachedOAuthClients = (ttlMs: number) =>
  Layer.effect(
    OAuthClients,
    Effect.gen(function* () {
      const clients = yield* OAuthClients
      const revoked = yield* makeRefreshingSet<number>({
        name: "revoked oauth client ids",
        load: clients.revokedIds,
        ttlMs
      })
      return OAuthClients.of({
        ...clients,
        revokedIds: revoked.current,
        revoke: (id, at) =>
          Effect.tap(clients.revoke(id, at), (record) =>
            Effect.sync(() => {
              if (record !== undefined) revoked.add(id)
            })
          )
      })
    })
  )
