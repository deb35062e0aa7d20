import { Context } from "effect"
import type { AdminCaller } from "../../application/admin/audit.ts"
import type { Principal } from "../../application/auth/authenticate.ts"
import type { Scope } from "../../domain/api-key.ts"
import type { Tenant } from "../../domain/tenant.ts"

/** The tenant the request's host names, checked against the directory. */
export class CurrentTenant extends Context.Service<CurrentTenant, Tenant>()("pos/runtime/CurrentTenant") {}

/** The authenticated API key behind the request. */
export class CurrentPrincipal extends Context.Service<CurrentPrincipal, Principal>()("pos/runtime/CurrentPrincipal") {}

/** The operator making an admin request, and the client's address, for the audit log. */
export class CurrentAdmin extends Context.Service<CurrentAdmin, AdminCaller>()("pos/runtime/CurrentAdmin") {}

/**
 * Endpoint annotation: the request needs at least one of these scopes. Without it any valid key
 * will do (whoami, providers).
 */
export class RequiredScopes extends Context.Service<RequiredScopes, ReadonlyArray<Scope>>()(
  "pos/runtime/RequiredScopes"
) {}

/**
 * Per-request facts filled in as the request travels inwards (tenant, route), read by the access log
 * that wraps the whole request.
 */
export interface RequestFacts {
  readonly requestId: string
  tenant: string | undefined
  route: string | undefined
  /** Why a 401 was answered (the caller only sees the one 401): written on the access log line. */
  refusal?: string | undefined
  /** Set with a 503 from an open breaker: the response's Retry-After. */
  retryAfterSeconds?: number | undefined
  /** The RateLimit-Policy and RateLimit fields of a request under a limit, set on whatever it is answered. */
  rateLimitHeaders?: Readonly<Record<string, string>> | undefined
}
export class RequestInfo extends Context.Service<RequestInfo, RequestFacts>()("pos/runtime/RequestInfo") {}

/**
 * Endpoint annotation: the input is a vendor's format (a POS webhook), tolerant of query parameters
 * we do not read, since vendors add them without notice. Our own formats are strict.
 */
export class VendorFormat extends Context.Service<VendorFormat, boolean>()("pos/runtime/VendorFormat") {}

/** Endpoint annotation: a POS's catalog push (a large body), read and applied in turns (SYNC_CONCURRENCY). */
export class CatalogPush extends Context.Service<CatalogPush, boolean>()("pos/runtime/CatalogPush") {}
