import { Effect } from "effect"
import { type CryptoKey, generateKeyPair, importJWK, SignJWT } from "jose"
import { expect } from "vitest"
import {
  type CreateClientInput,
  createClient,
  revokeClient,
  rotateClientSecret
} from "../../application/oauth/clients.ts"
import { SigningKeys } from "../../application/ports/oauth.ts"
import { formatClientId } from "../../domain/oauth.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { OAuthTokens } from "../../runtime/oauth/token-service.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"
import { send } from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"

export const formType = { "content-type": "application/x-www-form-urlencoded" }

/** Runs a use case on a tenant's repositories with the app's own services (KeySecrets, OAuthTokens). */
const onTenant = <A, E, R>(app: TestApp, tenant: string, effect: Effect.Effect<A, E, R>) =>
  app.runtime.runPromise(
    Effect.gen(function* () {
      const databases = yield* TenantDatabases
      return yield* Effect.provideContext(effect, yield* databases.repositories(tenant as TenantId)) as Effect.Effect<
        A,
        E,
        never
      >
    }).pipe(Effect.scoped, Effect.orDie) as Effect.Effect<A, never, never>
  )

export const makeClient = async (app: TestApp, tenant: string, input: Partial<CreateClientInput> = {}) => {
  const issued = await onTenant(
    app,
    tenant,
    createClient({ name: "kiosk vendor", scopes: ["outlets:read", "products:read"], expiresAt: null, ...input })
  )
  return { id: formatClientId(issued.client.id), secret: issued.secret, record: issued.client }
}

export const revoke = (app: TestApp, tenant: string, clientId: string) => onTenant(app, tenant, revokeClient(clientId))

export const rotate = (app: TestApp, tenant: string, clientId: string, overlapSeconds: number) =>
  onTenant(app, tenant, rotateClientSecret(clientId, overlapSeconds))

/** A token request with the credentials in the body (client_secret_post). */
export const tokenByPost = (
  app: TestApp,
  host: string,
  client: { readonly id: string; readonly secret: string },
  extra: Record<string, string> = {}
) =>
  send(app, "/oauth/token", {
    method: "POST",
    host,
    headers: formType,
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.id,
      client_secret: client.secret,
      ...extra
    }).toString()
  })

export const basicHeader = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`

/** A token request with the credentials in Authorization: Basic (client_secret_basic). */
export const tokenByBasic = (
  app: TestApp,
  host: string,
  client: { readonly id: string; readonly secret: string },
  extra: Record<string, string> = {}
) =>
  send(app, "/oauth/token", {
    method: "POST",
    host,
    headers: { ...formType, authorization: basicHeader(client.id, client.secret) },
    body: new URLSearchParams({ grant_type: "client_credentials", ...extra }).toString()
  })

export const accessToken = async (
  app: TestApp,
  host: string,
  client: { readonly id: string; readonly secret: string },
  extra: Record<string, string> = {}
) => {
  const response = await tokenByPost(app, host, client, extra)
  expect(response.status).toBe(200)
  return ((await response.json()) as { access_token: string }).access_token
}

export const bearer = (app: TestApp, path: string, host: string, token: string, headers: Record<string, string> = {}) =>
  send(app, path, { host, headers: { authorization: `Bearer ${token}`, ...headers } })

/** The key that signs now, with its private part: for tokens a test forges with chosen claims. */
export const signingKeyOf = (app: TestApp) =>
  app.runtime.runPromise(
    Effect.gen(function* () {
      const tokens = yield* OAuthTokens
      const signing = (yield* tokens.keys).find((k) => k.status === "signing")!
      const record = (yield* (yield* SigningKeys).list).find((k) => k.kid === signing.kid)!
      const key = (yield* Effect.promise(() => importJWK(JSON.parse(record.privateJwk!), "EdDSA"))) as CryptoKey
      return { kid: record.kid, key }
    }).pipe(Effect.orDie)
  )

export const foreignKey = async () =>
  (await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })).privateKey as CryptoKey

export interface ForgeInput {
  readonly key: CryptoKey
  readonly kid: string
  readonly typ?: string
  readonly claims: Record<string, unknown>
}

export const forge = (input: ForgeInput) =>
  new SignJWT(input.claims)
    .setProtectedHeader({ alg: "EdDSA", typ: input.typ ?? "at+jwt", kid: input.kid })
    .sign(input.key)

/** `alg: none`: a header and claims, no signature. */
export const unsigned = (kid: string, claims: Record<string, unknown>) => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
  return `${part({ alg: "none", typ: "at+jwt", kid })}.${part(claims)}.`
}
