import { isIP } from "node:net"
import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { isKeyRing, type KeyRing, parseKeyRing } from "../adapters/crypto/credential-sealer.ts"
import { type CircuitBreakerSettings, defaultCircuitBreakerSettings } from "../application/loyalty/circuit-breaker.ts"
import { bundledPlugins } from "./plugins/plugin-registry.ts"

export type StorageKind = "memory" | "pglite" | "postgres"

export interface AppSettings {
  readonly port: number
  /** The listen address; undefined listens on every interface. */
  readonly host: string | undefined
  readonly baseDomain: string
  /** Mount point in front of `/api` (e.g. `/service/pos-integration`); "" when none. */
  readonly basePath: string
  /** Which peers may set X-Forwarded-Host: "none", "loopback", "all", or a list of addresses. */
  readonly trustProxy: TrustProxy
  readonly maxBodyBytes: number
  readonly maxSyncBodyBytes: number
  /** POS webhooks: read before anyone is authenticated, so they get a limit of their own. */
  readonly maxWebhookBodyBytes: number
  /** How long a webhook delivery is remembered, to recognise the vendor's retries of it. */
  readonly webhookRetentionDays: number
  /** How long a job (a pull) that ended is kept, for GET /jobs/{jobId} and operators. */
  readonly jobRetentionDays: number
  readonly logFormat: "json" | "pretty"
  readonly logLevel: "debug" | "info" | "warning" | "error"
  readonly storage: StorageKind
  readonly databaseUrl: Redacted.Redacted<string> | undefined
  readonly dataDir: string
  readonly apiKeyPepper: Redacted.Redacted<string>
  /**
   * The keys credentials are sealed with (CREDENTIALS_KEYS: the first seals, all open); undefined
   * when not set (PGlite then keeps a key in its data directory; PostgreSQL stores no credentials).
   */
  readonly credentialKeys: KeyRing | undefined
  readonly keyCacheTtlMs: number
  readonly tenantIdleTtlMs: number
  readonly tenantPoolSize: number
  /** Create a `demo` tenant and print a key on first start (embedded mode by default). */
  readonly demo: boolean
  /** How long a catalog sync waits for another sync of the same outlet before a 409. */
  readonly syncLockWaitMs: number
  /**
   * How many catalog pushes (POST /outlets/sync, /products/sync) are read and applied at once; the
   * others wait, their bodies unread, so memory holds this many pushes at most.
   */
  readonly syncConcurrency: number
  /** How long a push waits for its turn before a 503 with Retry-After. */
  readonly syncQueueWaitMs: number
  /** PGlite's shared_buffers, in MB: the embedded database's page cache held in the process. */
  readonly pgliteSharedBuffersMb: number
  /**
   * Where a pristine PGlite cluster is kept (made on first use) and copied for a new data directory,
   * instead of running initdb each time (PGLITE_TEMPLATE); undefined: initdb.
   */
  readonly pgliteTemplate: string | undefined
  /** The POS plugins to load: module specifiers or paths. */
  readonly posPlugins: ReadonlyArray<string>
  /** Hosts a POS-named sync callback may be sent to (`*.example.com` matches subdomains). */
  readonly syncCallbackHosts: ReadonlyArray<string>
  /** The default loyalty-service URL; without it (and without a tenant's own) the embedded ledger serves. */
  readonly loyaltyUrl: string | undefined
  /** One deadline per partner request to the loyalty-service, retries included. */
  readonly loyaltyTimeoutMs: number
  readonly loyaltyBreaker: CircuitBreakerSettings
  /** How long a finished refCode answer is replayed. */
  readonly refCodeRetentionMs: number
  /** On SIGTERM/SIGINT, how long in-flight requests may run before their connections are cut. */
  readonly shutdownGraceMs: number
  /** How long a stopping process keeps serving with /readyz at 503 before it closes the port. */
  readonly shutdownDelayMs: number
  /** How often every active tenant's due jobs (pulls) are looked for: jobs a stopped process left, retries. */
  readonly jobSweepMs: number
  /** How long a claimed job is this process's: a job still running after it is taken over (its process stopped). */
  readonly jobLeaseMs: number
  /** Tries of a job that keeps failing for a reason worth retrying (an unreachable POS) before it fails for good. */
  readonly jobMaxAttempts: number
  /** The first retry's delay; each further one doubles, up to `jobRetryMaxMs`. */
  readonly jobRetryBaseMs: number
  readonly jobRetryMaxMs: number
  /** How often due pull schedules are looked for. */
  readonly pullTickMs: number
  /** An order placement still unfinished after this long is taken over by a retry of its refCode. */
  readonly orderClaimStaleMs: number
  /** How many calls to POS systems the order dispatcher runs at once (all tenants together). */
  readonly orderDispatchConcurrency: number
  /** The deadline of one call to a POS (an order or a cancellation): no answer by then is a transient failure. */
  readonly posCallTimeoutMs: number
  /** How long a claimed delivery is this process's: after it, another instance takes it over (this one died). */
  readonly orderLeaseMs: number
  /** Tries of an order's delivery before it is FAILED. */
  readonly orderMaxAttempts: number
  /** The first retry's delay cap; each further one doubles, up to `orderRetryMaxMs` (full jitter: a random delay below the cap). */
  readonly orderRetryBaseMs: number
  readonly orderRetryMaxMs: number
  /** No retry starts later than this after the order was placed (well inside the vendors' de-duplication windows). */
  readonly orderGiveUpMs: number
  /** How often the dispatcher looks at every tenant's outbox (work a crash left out of the due index). */
  readonly orderSweepMs: number
  readonly oauth: OAuthSettings
  /**
   * WEBHOOK_ALLOW_LOOPBACK: partner webhooks may go to loopback addresses over plain http (development
   * and tests); otherwise only https to public addresses.
   */
  readonly webhookAllowLoopback: boolean
  readonly webhookDelivery: WebhookDeliverySettings
  readonly metrics: MetricsSettings
  readonly tracing: TracingSettings
}

/**
 * Traces over OTLP/HTTP (runtime/observability/tracing.ts), configured by the OpenTelemetry
 * variables: off unless an endpoint is set.
 */
export interface TracingSettings {
  /**
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), else OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces`
   * added; undefined (or OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none): no traces exported.
   */
  readonly endpoint: string | undefined
  /** OTEL_EXPORTER_OTLP_TRACES_HEADERS or OTEL_EXPORTER_OTLP_HEADERS: `key=value,...`, values URL-encoded. */
  readonly headers: Readonly<Record<string, string>>
  /** OTEL_SERVICE_NAME: the `service.name` of every span (default pos-integration). */
  readonly serviceName: string
  /**
   * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG: the share of traces started here that are
   * recorded (1: all, the default; `traceidratio` with its argument; `always_off`: 0).
   */
  readonly sampleRatio: number
  /**
   * Whether a trace started by a caller (W3C traceparent) is recorded as the caller decided (its
   * sampled flag: the `parentbased_*` samplers, the default), rather than by the ratio.
   */
  readonly parentBased: boolean
  /** OTEL_BSP_SCHEDULE_DELAY: milliseconds between exports (default 5000). */
  readonly exportIntervalMs: number
  /**
   * OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL: `http/json` (the default
   * here: Effect's protobuf encoder costs a traced request about twice what JSON does) or
   * `http/protobuf`; gRPC is not spoken.
   */
  readonly protocol: "http/protobuf" | "http/json"
}

/** `GET /metrics` (runtime/observability). */
export interface MetricsSettings {
  /** METRICS_TOKEN: the bearer token `/metrics` wants; unset, it answers loopback peers only. */
  readonly token: Redacted.Redacted<string> | undefined
  /**
   * METRICS_TENANT_LABELS: whether request counts carry the tenant's id (a series per tenant: for
   * deployments whose tenants are few enough to keep the series bounded).
   */
  readonly tenantLabels: boolean
}

/** How partner webhook deliveries go out (runtime/partner-webhooks/webhook-dispatch.ts). */
export interface WebhookDeliverySettings {
  /** WEBHOOK_CONCURRENCY: tries under way at once in this process, across tenants and endpoints. */
  readonly concurrency: number
  /** WEBHOOK_MAX_IN_FLIGHT: tries under way at once to one endpoint (across instances, by leases). */
  readonly inFlightPerEndpoint: number
  /** WEBHOOK_TIMEOUT_MS: one try's deadline, the destination's resolution included. */
  readonly timeoutMs: number
  /** WEBHOOK_RETRY_BASE_MS / WEBHOOK_RETRY_MAX_MS: capped exponential backoff with full jitter. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** WEBHOOK_GIVE_UP_MS: a delivery failing for this long is given up (and its endpoint disabled if nothing reached it). */
  readonly giveUpMs: number
  /** WEBHOOK_SWEEP_MS: how often every tenant's deliveries are looked at (work another instance or a crash left). */
  readonly sweepMs: number
  /** WEBHOOK_DELIVERY_RETENTION_DAYS: how long a finished delivery (and its tries) stays listed. */
  readonly retentionDays: number
}

/** OAuth 2.0 (client credentials): where tokens say they come from and for, how long they and their keys live. */
export interface OAuthSettings {
  /**
   * OAUTH_ISSUER: the issuer URL with `{tenant}` for the tenant's id (also `{BASE_DOMAIN}`, `{PORT}`,
   * `{BASE_PATH}`); undefined: `http://{tenant}.{BASE_DOMAIN}:{PORT}{BASE_PATH}`.
   */
  readonly issuerTemplate: string | undefined
  /** OAUTH_AUDIENCE: the API's base URL tokens are for, the same placeholders; undefined: the issuer and `/api`. */
  readonly audienceTemplate: string | undefined
  readonly tokenTtlSeconds: number
  /** How long a signing key signs before the next one takes over. */
  readonly keyRotationSeconds: number
  /** How long the next signing key is published before it signs (at least the key cache's TTL). */
  readonly keyLeadSeconds: number
}

export type TrustProxy =
  | { readonly _tag: "none" }
  | { readonly _tag: "all" }
  | { readonly _tag: "loopback" }
  | { readonly _tag: "list"; readonly addresses: ReadonlySet<string> }

export const parseTrustProxy = (raw: string): TrustProxy | undefined => {
  const value = raw.trim().toLowerCase()
  if (value === "" || value === "false" || value === "none") return { _tag: "none" }
  if (value === "true" || value === "all") return { _tag: "all" }
  if (value === "loopback") return { _tag: "loopback" }
  const addresses = value.split(",").map((a) => a.trim())
  return addresses.every((a) => isIP(a) !== 0) ? { _tag: "list", addresses: new Set(addresses) } : undefined
}

const trustProxyConfig = Config.schema(
  Schema.String.pipe(
    Schema.check(
      Schema.makeFilter(
        (raw: string) =>
          parseTrustProxy(raw) !== undefined ||
          "expected none, loopback, all, or a comma-separated list of IP addresses"
      )
    )
  ),
  "TRUST_PROXY"
).pipe(
  Config.withDefault(""),
  Config.map((raw) => parseTrustProxy(raw) ?? { _tag: "none" as const })
)

export type LogLevelName = AppSettings["logLevel"]

/** `warn` is pino's and most loggers' spelling of `warning`: both are accepted, in any case. */
export const parseLogLevel = (raw: string): LogLevelName | undefined => {
  const value = raw.trim().toLowerCase()
  if (value === "warn") return "warning"
  return value === "debug" || value === "info" || value === "warning" || value === "error" ? value : undefined
}

/** A string variable `accepts` must approve; otherwise start-up stops naming it and what is expected. */
const checkedString = (name: string, accepts: (raw: string) => boolean, expected: string, fallback: string) =>
  Config.schema(
    Schema.String.pipe(Schema.check(Schema.makeFilter((raw: string) => accepts(raw) || expected))),
    name
  ).pipe(Config.withDefault(fallback))

const logLevelConfig = checkedString(
  "LOG_LEVEL",
  (raw) => parseLogLevel(raw) !== undefined,
  "expected debug, info, warn (or warning), or error",
  "info"
).pipe(Config.map((raw) => parseLogLevel(raw) ?? "info"))

/**
 * The address to listen on: an IP address (an IPv6 one with or without brackets, as URLs write
 * it) or a host name; empty is every interface (undefined); anything else is refused (false).
 */
export const parseListenHost = (raw: string): string | undefined | false => {
  const value = raw.trim()
  if (value === "") return undefined
  const unbracketed = value.replace(/^\[(.*)\]$/, "$1")
  if (isIP(unbracketed) !== 0) return unbracketed
  return /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/.test(value) ? value.toLowerCase() : false
}

const hostConfig = checkedString(
  "HOST",
  (raw) => parseListenHost(raw) !== false,
  "expected an IP address or a host name to listen on",
  ""
).pipe(Config.map((raw) => parseListenHost(raw) || undefined))

/** A whole number within bounds; out of bounds, start-up stops naming the variable and the bounds. */
const boundedInt = (name: string, minimum: number, maximum: number, fallback: number) =>
  Config.schema(
    Schema.FiniteFromString.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum, maximum }))),
    name
  ).pipe(Config.withDefault(fallback))

const normaliseBasePath = (raw: string): string => {
  const trimmed = raw.trim().replace(/\/+$/, "")
  if (trimmed === "") return ""
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/** An absolute http(s) URL without a trailing slash, or undefined. */
export const parseHttpUrl = (raw: string): string | undefined => {
  try {
    const url = new URL(raw.trim())
    // Credentials in a URL would be logged with it, and fetch refuses them: they go in their own setting.
    if (url.username !== "" || url.password !== "") return undefined
    return url.protocol === "http:" || url.protocol === "https:" ? url.href.replace(/\/+$/, "") : undefined
  } catch {
    return undefined
  }
}

/** The placeholders of OAUTH_ISSUER and OAUTH_AUDIENCE, filled from the service's own settings. */
const fillTemplate = (
  template: string,
  settings: Pick<AppSettings, "baseDomain" | "port" | "basePath">,
  tenant: string
) =>
  template
    .replaceAll("{tenant}", tenant)
    .replaceAll("{BASE_DOMAIN}", settings.baseDomain)
    .replaceAll("{PORT}", String(settings.port))
    .replaceAll("{BASE_PATH}", settings.basePath)

const checkTemplate = (raw: string, needsTenant: boolean): true | string => {
  if (needsTenant && !raw.includes("{tenant}")) return "expected a URL with {tenant} in it"
  const filled = fillTemplate(raw, { baseDomain: "example.com", port: 8080, basePath: "" }, "acme")
  return (
    parseHttpUrl(filled) !== undefined ||
    "expected an http:// or https:// URL (placeholders: {tenant} {BASE_DOMAIN} {PORT} {BASE_PATH})"
  )
}

const urlTemplate = (name: string, needsTenant: boolean) =>
  Config.schema(
    Schema.String.pipe(Schema.check(Schema.makeFilter((raw: string) => checkTemplate(raw.trim(), needsTenant)))),
    name
  ).pipe(
    Config.option,
    Config.map((raw) => Option.getOrUndefined(Option.map(raw, (t) => t.trim().replace(/\/+$/, ""))))
  )

/** A tenant's OAuth issuer (`iss`) and the audience (`aud`) of its tokens, from the settings. */
export const oauthUrls = (
  settings: AppSettings,
  tenant: string
): { readonly issuer: string; readonly audience: string } => {
  const issuer = fillTemplate(
    settings.oauth.issuerTemplate ?? "http://{tenant}.{BASE_DOMAIN}:{PORT}{BASE_PATH}",
    settings,
    tenant
  )
  const audience =
    settings.oauth.audienceTemplate === undefined
      ? `${issuer}/api`
      : fillTemplate(settings.oauth.audienceTemplate, settings, tenant)
  return { issuer, audience }
}

/** Deliverect's API hosts: a callback URL comes from the payload, so it may only go where expected. */
/** Each plugin declares its vendor's callback hosts in its manifest; the operator's are added to them. */
const defaultCallbackHosts: ReadonlyArray<string> = []

/**
 * CREDENTIALS_KEYS: comma-separated `id:base64key` pairs (32-byte keys). A problem stops start-up
 * naming the variable and the entry or key id, never a key.
 */
const credentialKeysConfig = Config.schema(
  Schema.Redacted(Schema.String).pipe(
    Schema.check(
      Schema.makeFilter((raw: Redacted.Redacted<string>) => {
        const ring = parseKeyRing(Redacted.value(raw), "CREDENTIALS_KEYS")
        return isKeyRing(ring) || ring.problem
      })
    )
  ),
  "CREDENTIALS_KEYS"
).pipe(
  Config.option,
  Config.map((raw) =>
    Option.match(raw, {
      onNone: () => undefined,
      onSome: (text) => {
        const ring = parseKeyRing(Redacted.value(text), "CREDENTIALS_KEYS")
        return isKeyRing(ring) ? ring : undefined
      }
    })
  )
)

/** Traces off: what no OpenTelemetry variable at all reads as. */
export const tracingOff: TracingSettings = {
  endpoint: undefined,
  headers: {},
  serviceName: "pos-integration",
  sampleRatio: 1,
  parentBased: true,
  exportIntervalMs: 5000,
  protocol: "http/json"
}

const protocols = ["http/protobuf", "http/json"] as const

const samplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
] as const

/** `key=value,key2=value2` (W3C baggage style, values URL-encoded), or a reason it is not. */
export const parseOtlpHeaders = (raw: string): Record<string, string> | string => {
  const headers: Record<string, string> = {}
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    const key = at <= 0 ? "" : pair.slice(0, at).trim()
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key))
      return `expected key=value pairs separated by commas, got '${pair.trim()}'`
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      return `the value of '${key}' is not valid percent-encoding`
    }
  }
  return headers
}

const otlpUrl = (name: string) =>
  Config.schema(
    Schema.String.pipe(
      Schema.check(
        Schema.makeFilter(
          (raw: string) => raw.trim() === "" || parseHttpUrl(raw) !== undefined || "expected an http:// or https:// URL"
        )
      )
    ),
    name
  ).pipe(
    Config.option,
    Config.map((value) => Option.filter(value, (raw) => raw.trim() !== ""))
  )

const otlpHeaders = (name: string) =>
  Config.schema(
    Schema.String.pipe(
      Schema.check(
        Schema.makeFilter((raw: string) => {
          const parsed = parseOtlpHeaders(raw)
          return typeof parsed !== "string" || parsed
        })
      )
    ),
    name
  ).pipe(Config.option)

const tracingConfig = Config.all({
  disabled: Config.Boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
  exporter: Config.Literals(["otlp", "none"], "OTEL_TRACES_EXPORTER").pipe(Config.withDefault("otlp" as const)),
  tracesEndpoint: otlpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  endpoint: otlpUrl("OTEL_EXPORTER_OTLP_ENDPOINT"),
  tracesHeaders: otlpHeaders("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
  headers: otlpHeaders("OTEL_EXPORTER_OTLP_HEADERS"),
  serviceName: Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("pos-integration")),
  sampler: Config.Literals(samplers, "OTEL_TRACES_SAMPLER").pipe(Config.withDefault("parentbased_always_on" as const)),
  samplerArg: Config.schema(
    Schema.FiniteFromString.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
    "OTEL_TRACES_SAMPLER_ARG"
  ).pipe(Config.withDefault(1)),
  exportIntervalMs: boundedInt("OTEL_BSP_SCHEDULE_DELAY", 10, 3_600_000, 5000),
  tracesProtocol: Config.Literals(protocols, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").pipe(Config.option),
  protocol: Config.Literals(protocols, "OTEL_EXPORTER_OTLP_PROTOCOL").pipe(Config.withDefault("http/json" as const))
}).pipe(
  Config.map((raw): TracingSettings => {
    const base = Option.map(raw.endpoint, (url) => `${parseHttpUrl(url)!}/v1/traces`)
    const endpoint = Option.orElse(
      Option.map(raw.tracesEndpoint, (url) => url.trim()),
      () => base
    )
    const headers = Option.orElse(raw.tracesHeaders, () => raw.headers)
    return {
      endpoint: raw.disabled || raw.exporter === "none" ? undefined : Option.getOrUndefined(endpoint),
      headers: Option.match(headers, {
        onNone: () => ({}),
        onSome: (text) => parseOtlpHeaders(text) as Record<string, string>
      }),
      serviceName: raw.serviceName,
      sampleRatio: raw.sampler.endsWith("always_off") ? 0 : raw.sampler.endsWith("traceidratio") ? raw.samplerArg : 1,
      parentBased: raw.sampler.startsWith("parentbased_"),
      exportIntervalMs: raw.exportIntervalMs,
      protocol: Option.getOrElse(raw.tracesProtocol, () => raw.protocol)
    }
  })
)

/** Every environment variable the service reads; README.md lists them. */
export const appSettingsConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(8080)),
  host: hostConfig,
  baseDomain: Config.schema(
    Schema.String.pipe(
      Schema.check(
        Schema.isPattern(/^\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?\s*$/, { message: "expected a domain name" })
      )
    ),
    "BASE_DOMAIN"
  ).pipe(
    Config.withDefault("localhost"),
    Config.map((d) => d.trim().toLowerCase().replace(/\.+$/, ""))
  ),
  basePath: Config.String("BASE_PATH").pipe(Config.withDefault(""), Config.map(normaliseBasePath)),
  trustProxy: trustProxyConfig,
  maxBodyBytes: boundedInt("MAX_BODY_BYTES", 1024, 1024 ** 3, 1024 * 1024),
  maxSyncBodyBytes: boundedInt("MAX_SYNC_BODY_BYTES", 1024, 1024 ** 3, 32 * 1024 * 1024),
  maxWebhookBodyBytes: boundedInt("WEBHOOK_MAX_BODY_BYTES", 1024, 64 * 1024 * 1024, 1024 * 1024),
  webhookRetentionDays: boundedInt("WEBHOOK_RETENTION_DAYS", 1, 365, 7),
  jobRetentionDays: boundedInt("JOB_RETENTION_DAYS", 1, 3650, 30),
  logFormat: Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(Config.withDefault("pretty" as const)),
  logLevel: logLevelConfig,
  storage: Config.Literals(["memory", "pglite", "postgres"], "STORAGE").pipe(Config.option),
  databaseUrl: Config.Redacted("DATABASE_URL").pipe(Config.option),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./data")),
  apiKeyPepper: Config.Redacted("API_KEY_PEPPER").pipe(Config.withDefault(Redacted.make(""))),
  credentialKeys: credentialKeysConfig,
  // At most 5 s: a revocation made elsewhere must take effect within that (SPEC section 3).
  keyCacheTtlMs: boundedInt("KEY_CACHE_TTL_MS", 0, 5000, 5000),
  tenantIdleTtlMs: boundedInt("TENANT_IDLE_TTL_MS", 1000, 24 * 3_600_000, 5 * 60_000),
  tenantPoolSize: boundedInt("TENANT_POOL_SIZE", 1, 100, 5),
  demo: Config.Boolean("DEMO").pipe(Config.option),
  syncLockWaitMs: boundedInt("SYNC_LOCK_WAIT_MS", 0, 600_000, 10_000),
  syncConcurrency: boundedInt("SYNC_CONCURRENCY", 1, 64, 1),
  syncQueueWaitMs: boundedInt("SYNC_QUEUE_WAIT_MS", 0, 600_000, 60_000),
  pgliteSharedBuffersMb: boundedInt("PGLITE_SHARED_BUFFERS_MB", 1, 4096, 16),
  pgliteTemplate: Config.String("PGLITE_TEMPLATE").pipe(Config.option),
  posPlugins: Config.String("POS_PLUGINS").pipe(
    Config.map((raw) =>
      raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
    ),
    Config.withDefault<ReadonlyArray<string>>(bundledPlugins)
  ),
  syncCallbackHosts: Config.String("SYNC_CALLBACK_HOSTS").pipe(
    Config.map((raw) =>
      raw
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== "")
    ),
    Config.withDefault<ReadonlyArray<string>>(defaultCallbackHosts)
  ),
  loyaltyUrl: Config.schema(
    Schema.String.pipe(
      Schema.check(
        Schema.makeFilter(
          (raw: string) =>
            parseHttpUrl(raw) !== undefined || "expected an http:// or https:// URL without a user or password in it"
        )
      )
    ),
    "LOYALTY_URL"
  ).pipe(Config.option),
  loyaltyTimeoutMs: boundedInt("LOYALTY_TIMEOUT_MS", 100, 120_000, 5000),
  loyaltyBreaker: Config.all({
    consecutiveFailures: boundedInt(
      "LOYALTY_BREAKER_FAILURES",
      1,
      1000,
      defaultCircuitBreakerSettings.consecutiveFailures
    ),
    failureRatio: boundedInt(
      "LOYALTY_BREAKER_FAILURE_PERCENT",
      1,
      100,
      defaultCircuitBreakerSettings.failureRatio * 100
    ).pipe(Config.map((percent) => percent / 100)),
    minimumCalls: boundedInt("LOYALTY_BREAKER_MIN_CALLS", 1, 100_000, defaultCircuitBreakerSettings.minimumCalls),
    windowMs: boundedInt("LOYALTY_BREAKER_WINDOW_MS", 1000, 3_600_000, defaultCircuitBreakerSettings.windowMs),
    resetMs: boundedInt("LOYALTY_BREAKER_RESET_MS", 100, 3_600_000, defaultCircuitBreakerSettings.resetMs)
  }),
  refCodeRetentionDays: boundedInt("REFCODE_RETENTION_DAYS", 7, 3650, 7),
  // Ten seconds covers a normal request with room to spare and stays inside the usual
  // orchestrator budget (Kubernetes waits 30 s before SIGKILL).
  shutdownGraceMs: boundedInt("SHUTDOWN_GRACE_MS", 0, 600_000, 10_000),
  // Zero stops at once. Behind a load balancer or an orchestrator's readiness probe, the probe's
  // period lets it see the 503 and route elsewhere before the port closes.
  shutdownDelayMs: boundedInt("SHUTDOWN_DELAY_MS", 0, 600_000, 0),
  jobSweepMs: boundedInt("JOB_SWEEP_MS", 1000, 3_600_000, 30_000),
  // Ten minutes: a large catalog's pull and sync fit well within it; a run is cut at 90% of it.
  jobLeaseMs: boundedInt("JOB_LEASE_MS", 10_000, 6 * 3_600_000, 600_000),
  jobMaxAttempts: boundedInt("JOB_MAX_ATTEMPTS", 1, 100, 5),
  jobRetryBaseMs: boundedInt("JOB_RETRY_BASE_MS", 100, 3_600_000, 10_000),
  jobRetryMaxMs: boundedInt("JOB_RETRY_MAX_MS", 100, 24 * 3_600_000, 900_000),
  pullTickMs: boundedInt("PULL_TICK_MS", 100, 3_600_000, 5000),
  orderClaimStaleMs: boundedInt("ORDER_CLAIM_STALE_MS", 1000, 600_000, 30_000),
  orderDispatchConcurrency: boundedInt("ORDER_DISPATCH_CONCURRENCY", 1, 1000, 128),
  posCallTimeoutMs: boundedInt("POS_CALL_TIMEOUT_MS", 100, 120_000, 10_000),
  orderLeaseMs: boundedInt("ORDER_LEASE_MS", 1000, 3_600_000, 30_000),
  orderMaxAttempts: boundedInt("ORDER_MAX_ATTEMPTS", 1, 100, 12),
  orderRetryBaseMs: boundedInt("ORDER_RETRY_BASE_MS", 10, 3_600_000, 1000),
  orderRetryMaxMs: boundedInt("ORDER_RETRY_MAX_MS", 10, 24 * 3_600_000, 300_000),
  // Deliverect forgets a channelOrderId after 48 hours; the last retry starts within 2 hours.
  orderGiveUpMs: boundedInt("ORDER_GIVE_UP_MS", 1000, 24 * 3_600_000, 2 * 3_600_000),
  orderSweepMs: boundedInt("ORDER_SWEEP_MS", 1000, 24 * 3_600_000, 600_000),
  oauth: Config.all({
    issuerTemplate: urlTemplate("OAUTH_ISSUER", true),
    audienceTemplate: urlTemplate("OAUTH_AUDIENCE", false),
    tokenTtlSeconds: boundedInt("OAUTH_TOKEN_TTL_S", 60, 86_400, 900),
    keyRotationSeconds: boundedInt("OAUTH_KEY_ROTATION_S", 60, 365 * 86_400, 30 * 86_400),
    keyLeadSeconds: boundedInt("OAUTH_KEY_LEAD_S", 1, 86_400, 600)
  }),
  webhookAllowLoopback: Config.Boolean("WEBHOOK_ALLOW_LOOPBACK").pipe(Config.withDefault(false)),
  webhookDelivery: Config.all({
    concurrency: boundedInt("WEBHOOK_CONCURRENCY", 1, 1000, 32),
    inFlightPerEndpoint: boundedInt("WEBHOOK_MAX_IN_FLIGHT", 1, 100, 4),
    timeoutMs: boundedInt("WEBHOOK_TIMEOUT_MS", 100, 60_000, 10_000),
    retryBaseMs: boundedInt("WEBHOOK_RETRY_BASE_MS", 10, 3_600_000, 5000),
    retryMaxMs: boundedInt("WEBHOOK_RETRY_MAX_MS", 10, 24 * 3_600_000, 3_600_000),
    giveUpMs: boundedInt("WEBHOOK_GIVE_UP_MS", 1000, 7 * 24 * 3_600_000, 24 * 3_600_000),
    sweepMs: boundedInt("WEBHOOK_SWEEP_MS", 1000, 24 * 3_600_000, 60_000),
    retentionDays: boundedInt("WEBHOOK_DELIVERY_RETENTION_DAYS", 1, 3650, 30)
  }),
  metricsToken: Config.Redacted("METRICS_TOKEN").pipe(Config.option),
  metricsTenantLabels: Config.Boolean("METRICS_TENANT_LABELS").pipe(Config.withDefault(false)),
  tracing: tracingConfig
}).pipe(
  Config.map(
    ({
      storage,
      databaseUrl,
      demo,
      loyaltyUrl,
      refCodeRetentionDays,
      metricsToken,
      metricsTenantLabels,
      pgliteTemplate,
      ...rest
    }): AppSettings => {
      const url = Option.getOrUndefined(databaseUrl)
      // DATABASE_URL selects PostgreSQL; without it the embedded PGlite runs, unless STORAGE says otherwise.
      const kind = Option.getOrElse(storage, () => (url === undefined ? "pglite" : "postgres") as StorageKind)
      return {
        ...rest,
        databaseUrl: url,
        storage: kind,
        demo: Option.getOrElse(demo, () => kind !== "postgres"),
        loyaltyUrl: Option.map(loyaltyUrl, (u) => parseHttpUrl(u)!).pipe(Option.getOrUndefined),
        refCodeRetentionMs: refCodeRetentionDays * 86_400_000,
        pgliteTemplate: Option.getOrUndefined(Option.filter(pgliteTemplate, (path) => path.trim() !== "")),
        metrics: {
          // An empty token is none: `/metrics` stays on loopback rather than open to any bearer.
          token: Option.getOrUndefined(Option.filter(metricsToken, (t) => Redacted.value(t) !== "")),
          tenantLabels: metricsTenantLabels
        }
      }
    }
  )
)

export class AppConfig extends Context.Service<AppConfig, AppSettings>()("pos/runtime/AppConfig") {
  static readonly layer = Layer.effect(AppConfig, Effect.map(appSettingsConfig, AppConfig.of))
  static readonly make = (overrides: Partial<AppSettings> = {}): AppSettings => ({
    port: 8080,
    host: undefined,
    baseDomain: "localhost",
    basePath: "",
    trustProxy: { _tag: "none" },
    maxBodyBytes: 1024 * 1024,
    maxSyncBodyBytes: 32 * 1024 * 1024,
    maxWebhookBodyBytes: 1024 * 1024,
    webhookRetentionDays: 7,
    jobRetentionDays: 30,
    logFormat: "pretty",
    logLevel: "info",
    storage: "memory",
    databaseUrl: undefined,
    dataDir: "./data",
    apiKeyPepper: Redacted.make(""),
    credentialKeys: undefined,
    keyCacheTtlMs: 5000,
    tenantIdleTtlMs: 5 * 60_000,
    tenantPoolSize: 5,
    demo: false,
    syncLockWaitMs: 10_000,
    syncConcurrency: 1,
    syncQueueWaitMs: 60_000,
    pgliteSharedBuffersMb: 16,
    pgliteTemplate: undefined,
    posPlugins: bundledPlugins,
    syncCallbackHosts: defaultCallbackHosts,
    loyaltyUrl: undefined,
    loyaltyTimeoutMs: 5000,
    loyaltyBreaker: defaultCircuitBreakerSettings,
    refCodeRetentionMs: 7 * 86_400_000,
    shutdownGraceMs: 10_000,
    shutdownDelayMs: 0,
    jobSweepMs: 30_000,
    jobLeaseMs: 600_000,
    jobMaxAttempts: 5,
    jobRetryBaseMs: 10_000,
    jobRetryMaxMs: 900_000,
    pullTickMs: 5000,
    orderClaimStaleMs: 30_000,
    orderDispatchConcurrency: 128,
    posCallTimeoutMs: 10_000,
    orderLeaseMs: 30_000,
    orderMaxAttempts: 12,
    orderRetryBaseMs: 1000,
    orderRetryMaxMs: 300_000,
    orderGiveUpMs: 2 * 3_600_000,
    orderSweepMs: 600_000,
    oauth: {
      issuerTemplate: undefined,
      audienceTemplate: undefined,
      tokenTtlSeconds: 900,
      keyRotationSeconds: 30 * 86_400,
      keyLeadSeconds: 600
    },
    webhookAllowLoopback: false,
    webhookDelivery: {
      concurrency: 32,
      inFlightPerEndpoint: 4,
      timeoutMs: 10_000,
      retryBaseMs: 5000,
      retryMaxMs: 3_600_000,
      giveUpMs: 24 * 3_600_000,
      sweepMs: 60_000,
      retentionDays: 30
    },
    metrics: { token: undefined, tenantLabels: false },
    tracing: tracingOff,
    ...overrides
  })
}
