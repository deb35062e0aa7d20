import { Config, Context, Effect, Layer, Option, Redacted } from "effect"

export type StorageKind = "memory" | "pglite" | "postgres"

export interface AppSettings {
  readonly port: number
  readonly baseDomain: string
  /** Mount point in front of `/api` (e.g. `/service/pos-integration`); "" when none. */
  readonly basePath: string
  /** Which peers may set X-Forwarded-Host: "none", "loopback", "all", or a list of addresses. */
  readonly trustProxy: TrustProxy
  readonly maxBodyBytes: number
  readonly maxSyncBodyBytes: number
  readonly logFormat: "json" | "pretty"
  readonly logLevel: "debug" | "info" | "warning" | "error"
  readonly storage: StorageKind
  readonly databaseUrl: Redacted.Redacted<string> | undefined
  readonly dataDir: string
  readonly apiKeyPepper: Redacted.Redacted<string>
  readonly keyCacheTtlMs: number
  readonly tenantIdleTtlMs: number
  readonly tenantPoolSize: number
  /** Create a `demo` tenant and print a key on first start (embedded mode by default). */
  readonly demo: boolean
}

export type TrustProxy =
  | { readonly _tag: "none" }
  | { readonly _tag: "all" }
  | { readonly _tag: "loopback" }
  | { readonly _tag: "list"; readonly addresses: ReadonlySet<string> }

export const parseTrustProxy = (raw: string): TrustProxy => {
  const value = raw.trim().toLowerCase()
  if (value === "" || value === "false" || value === "none") return { _tag: "none" }
  if (value === "true" || value === "all") return { _tag: "all" }
  if (value === "loopback") return { _tag: "loopback" }
  return {
    _tag: "list",
    addresses: new Set(
      value
        .split(",")
        .map((a) => a.trim())
        .filter((a) => a !== "")
    )
  }
}

const normaliseBasePath = (raw: string): string => {
  const trimmed = raw.trim().replace(/\/+$/, "")
  if (trimmed === "") return ""
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/** Every environment variable the service reads; README.md lists them. */
export const appSettingsConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(8080)),
  baseDomain: Config.String("BASE_DOMAIN").pipe(
    Config.withDefault("localhost"),
    Config.map((d) =>
      d
        .trim()
        .toLowerCase()
        .replace(/^\.+|\.+$/g, "")
    )
  ),
  basePath: Config.String("BASE_PATH").pipe(Config.withDefault(""), Config.map(normaliseBasePath)),
  trustProxy: Config.String("TRUST_PROXY").pipe(Config.withDefault(""), Config.map(parseTrustProxy)),
  maxBodyBytes: Config.Int("MAX_BODY_BYTES").pipe(Config.withDefault(1024 * 1024)),
  maxSyncBodyBytes: Config.Int("MAX_SYNC_BODY_BYTES").pipe(Config.withDefault(32 * 1024 * 1024)),
  logFormat: Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(Config.withDefault("pretty" as const)),
  logLevel: Config.Literals(["debug", "info", "warning", "error"], "LOG_LEVEL").pipe(
    Config.withDefault("info" as const)
  ),
  storage: Config.Literals(["memory", "pglite", "postgres"], "STORAGE").pipe(Config.option),
  databaseUrl: Config.Redacted("DATABASE_URL").pipe(Config.option),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./data")),
  apiKeyPepper: Config.Redacted("API_KEY_PEPPER").pipe(Config.withDefault(Redacted.make(""))),
  keyCacheTtlMs: Config.Int("KEY_CACHE_TTL_MS").pipe(Config.withDefault(5000)),
  tenantIdleTtlMs: Config.Int("TENANT_IDLE_TTL_MS").pipe(Config.withDefault(5 * 60_000)),
  tenantPoolSize: Config.Int("TENANT_POOL_SIZE").pipe(Config.withDefault(5)),
  demo: Config.Boolean("DEMO").pipe(Config.option)
}).pipe(
  Config.map(({ storage, databaseUrl, demo, ...rest }): AppSettings => {
    const url = Option.getOrUndefined(databaseUrl)
    // DATABASE_URL selects PostgreSQL; without it the embedded PGlite runs, unless STORAGE says otherwise.
    const kind = Option.getOrElse(storage, () => (url === undefined ? "pglite" : "postgres") as StorageKind)
    return { ...rest, databaseUrl: url, storage: kind, demo: Option.getOrElse(demo, () => kind !== "postgres") }
  })
)

export class AppConfig extends Context.Service<AppConfig, AppSettings>()("pos/runtime/AppConfig") {
  static readonly layer = Layer.effect(AppConfig, Effect.map(appSettingsConfig, AppConfig.of))
  static readonly make = (overrides: Partial<AppSettings> = {}): AppSettings => ({
    port: 8080,
    baseDomain: "localhost",
    basePath: "",
    trustProxy: { _tag: "none" },
    maxBodyBytes: 1024 * 1024,
    maxSyncBodyBytes: 32 * 1024 * 1024,
    logFormat: "pretty",
    logLevel: "info",
    storage: "memory",
    databaseUrl: undefined,
    dataDir: "./data",
    apiKeyPepper: Redacted.make(""),
    keyCacheTtlMs: 5000,
    tenantIdleTtlMs: 5 * 60_000,
    tenantPoolSize: 5,
    demo: false,
    ...overrides
  })
}
