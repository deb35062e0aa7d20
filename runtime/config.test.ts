import { ConfigProvider, Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { appSettingsConfig, oauthUrls, parseHttpUrl, tracingOff } from "./config.ts"

const load = (env: Record<string, string>) =>
  Effect.runPromise(
    Effect.result(
      appSettingsConfig.parse(ConfigProvider.fromUnknown(env)).pipe(Effect.map((s) => ({ ...s, apiKeyPepper: "-" })))
    )
  )

describe("configuration", () => {
  it("reads an http(s) loyalty URL without its trailing slash, and refuses one carrying a user or password", () => {
    expect(parseHttpUrl("https://loyalty.internal/api/")).toBe("https://loyalty.internal/api")
    expect(parseHttpUrl(" http://127.0.0.1:9000 ")).toBe("http://127.0.0.1:9000")
    expect(parseHttpUrl("https://user:secret@loyalty.internal")).toBeUndefined()
    expect(parseHttpUrl("https://user@loyalty.internal")).toBeUndefined()
    expect(parseHttpUrl("ftp://loyalty.internal")).toBeUndefined()
    expect(parseHttpUrl("loyalty.internal")).toBeUndefined()
  })

  it("defaults the loyalty settings to SPEC section 11, and reads them from the environment", async () => {
    const defaults = await load({})
    expect(defaults).toMatchObject({
      _tag: "Success",
      success: {
        loyaltyUrl: undefined,
        loyaltyTimeoutMs: 5000,
        loyaltyBreaker: {
          consecutiveFailures: 5,
          failureRatio: 0.5,
          minimumCalls: 20,
          windowMs: 30_000,
          resetMs: 30_000
        },
        refCodeRetentionMs: 7 * 86_400_000
      }
    })
    const set = await load({
      LOYALTY_URL: "https://loyalty.example.com/",
      LOYALTY_TIMEOUT_MS: "2500",
      LOYALTY_BREAKER_FAILURES: "3",
      LOYALTY_BREAKER_FAILURE_PERCENT: "25",
      LOYALTY_BREAKER_RESET_MS: "1000",
      REFCODE_RETENTION_DAYS: "30"
    })
    expect(set).toMatchObject({
      _tag: "Success",
      success: {
        loyaltyUrl: "https://loyalty.example.com",
        loyaltyTimeoutMs: 2500,
        loyaltyBreaker: { consecutiveFailures: 3, failureRatio: 0.25, resetMs: 1000 },
        refCodeRetentionMs: 30 * 86_400_000
      }
    })
  })

  it("refuses bad loyalty settings, naming the variable", async () => {
    for (const [name, value] of [
      ["LOYALTY_URL", "https://u:p@loyalty.example.com"],
      ["LOYALTY_URL", "not a url"],
      ["LOYALTY_TIMEOUT_MS", "0"],
      ["LOYALTY_BREAKER_FAILURE_PERCENT", "150"],
      ["REFCODE_RETENTION_DAYS", "1"]
    ] as const) {
      const result = await load({ [name]: value })
      expect(result._tag, `${name}=${value}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
  })
})

describe("process settings", () => {
  it("reads LOG_LEVEL in pino's spelling (warn) as well as warning, in any case", async () => {
    for (const [raw, level] of [
      ["warn", "warning"],
      ["WARN", "warning"],
      ["warning", "warning"],
      [" Debug ", "debug"],
      ["error", "error"]
    ] as const) {
      expect(await load({ LOG_LEVEL: raw }), raw).toMatchObject({ _tag: "Success", success: { logLevel: level } })
    }
    expect(await load({})).toMatchObject({ _tag: "Success", success: { logLevel: "info" } })
  })

  it("refuses an unknown LOG_LEVEL, naming the variable and the accepted values", async () => {
    const result = await load({ LOG_LEVEL: "verbose" })
    expect(result._tag).toBe("Failure")
    const message = String(result._tag === "Failure" ? result.failure : "")
    expect(message).toContain("LOG_LEVEL")
    expect(message).toContain("expected debug, info, warn (or warning), or error")
  })

  it("listens on every interface unless HOST names an address or a host name", async () => {
    expect(await load({})).toMatchObject({ _tag: "Success", success: { host: undefined } })
    for (const [raw, host] of [
      ["127.0.0.1", "127.0.0.1"],
      ["::1", "::1"],
      ["[::1]", "::1"],
      ["0.0.0.0", "0.0.0.0"],
      ["LocalHost", "localhost"],
      ["  ", undefined]
    ] as const) {
      expect(await load({ HOST: raw }), raw).toMatchObject({ _tag: "Success", success: { host } })
    }
    for (const raw of ["http://127.0.0.1", "127.0.0.1:8080", "a b", "host_name"]) {
      const result = await load({ HOST: raw })
      expect(result._tag, raw).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), raw).toContain("HOST")
    }
  })

  it("keeps serving SHUTDOWN_DELAY_MS (none by default) with /readyz at 503 before closing the port", async () => {
    expect(await load({})).toMatchObject({ _tag: "Success", success: { shutdownDelayMs: 0 } })
    expect(await load({ SHUTDOWN_DELAY_MS: "5000" })).toMatchObject({
      _tag: "Success",
      success: { shutdownDelayMs: 5000 }
    })
    for (const raw of ["-1", "2.5", "later", "600001"]) {
      const result = await load({ SHUTDOWN_DELAY_MS: raw })
      expect(result._tag, raw).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), raw).toContain("SHUTDOWN_DELAY_MS")
    }
  })

  it("gives in-flight requests SHUTDOWN_GRACE_MS (10 s by default) to finish on shutdown", async () => {
    expect(await load({})).toMatchObject({ _tag: "Success", success: { shutdownGraceMs: 10_000 } })
    expect(await load({ SHUTDOWN_GRACE_MS: "0" })).toMatchObject({ _tag: "Success", success: { shutdownGraceMs: 0 } })
    expect(await load({ SHUTDOWN_GRACE_MS: "2500" })).toMatchObject({
      _tag: "Success",
      success: { shutdownGraceMs: 2500 }
    })
    for (const raw of ["-1", "1.5", "soon", "600001"]) {
      const result = await load({ SHUTDOWN_GRACE_MS: raw })
      expect(result._tag, raw).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), raw).toContain("SHUTDOWN_GRACE_MS")
    }
  })
})

describe("credentials key ring", () => {
  const key = (byte: number) => Buffer.alloc(32, byte).toString("base64")

  it("reads CREDENTIALS_KEYS as id:base64key pairs, the first sealing; unset (or empty) is none", async () => {
    const set = await load({ CREDENTIALS_KEYS: `k2:${key(2)}, k1:${key(1)}` })
    expect(set._tag).toBe("Success")
    const ring = set._tag === "Success" ? set.success.credentialKeys : undefined
    expect(ring?.keys.map((k) => k.id)).toEqual(["k2", "k1"])
    expect(ring?.source).toBe("CREDENTIALS_KEYS")
    expect(await load({})).toMatchObject({ _tag: "Success", success: { credentialKeys: undefined } })
    expect(await load({ CREDENTIALS_KEYS: "" })).toMatchObject({
      _tag: "Success",
      success: { credentialKeys: undefined }
    })
  })

  it("stops start-up on a bad key ring, naming the variable and the entry, never a key", async () => {
    const short = Buffer.alloc(31, 7).toString("base64")
    for (const [value, problem] of [
      [`k1:${short}`, "key 'k1' must be 32 bytes in base64 (it is 31)"],
      [key(1), "entry 1 is not id:base64key"],
      [`k1:${key(1)},k1:${key(3)}`, "key id 'k1' appears twice"],
      [`k.1:${key(1)}`, "entry 1: a key id is 1 to 32 of A-Z a-z 0-9 _ -"],
      [" , ", "expected comma-separated id:base64key pairs, found none"]
    ] as const) {
      const result = await load({ CREDENTIALS_KEYS: value })
      expect(result._tag, value).toBe("Failure")
      const message = String(result._tag === "Failure" ? result.failure : "")
      expect(message).toContain("CREDENTIALS_KEYS")
      expect(message).toContain(problem)
      expect(message).not.toContain(short)
      expect(message).not.toContain(key(1))
      expect(message).not.toContain(key(3))
    }
  })
})

describe("POS webhook settings", () => {
  it("gives webhooks a body limit of their own (1 MiB) and remembers deliveries 7 days, unless set", async () => {
    expect(await load({})).toMatchObject({
      _tag: "Success",
      success: {
        maxWebhookBodyBytes: 1024 * 1024,
        maxSyncBodyBytes: 32 * 1024 * 1024,
        webhookRetentionDays: 7,
        jobRetentionDays: 30
      }
    })
    expect(await load({ WEBHOOK_MAX_BODY_BYTES: "65536", WEBHOOK_RETENTION_DAYS: "2" })).toMatchObject({
      _tag: "Success",
      success: { maxWebhookBodyBytes: 65_536, webhookRetentionDays: 2 }
    })
  })

  it("refuses limits out of range, naming the variable", async () => {
    for (const [name, value] of [
      ["WEBHOOK_MAX_BODY_BYTES", "100"],
      ["WEBHOOK_MAX_BODY_BYTES", "2048.5"],
      ["WEBHOOK_MAX_BODY_BYTES", String(128 * 1024 * 1024)],
      ["WEBHOOK_RETENTION_DAYS", "0"],
      ["WEBHOOK_RETENTION_DAYS", "forever"],
      ["JOB_RETENTION_DAYS", "0"]
    ] as const) {
      const result = await load({ [name]: value })
      expect(result._tag, `${name}=${value}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
  })
})

describe("job and pull settings", () => {
  it("default to a 30 s sweep, a 10 min lease, 5 attempts backing off from 10 s to 15 min, a 5 s schedule tick", async () => {
    expect(await load({})).toMatchObject({
      _tag: "Success",
      success: {
        jobSweepMs: 30_000,
        jobLeaseMs: 600_000,
        jobMaxAttempts: 5,
        jobRetryBaseMs: 10_000,
        jobRetryMaxMs: 900_000,
        pullTickMs: 5000
      }
    })
    expect(
      await load({
        JOB_SWEEP_MS: "5000",
        JOB_LEASE_MS: "60000",
        JOB_MAX_ATTEMPTS: "8",
        JOB_RETRY_BASE_MS: "500",
        JOB_RETRY_MAX_MS: "60000",
        PULL_TICK_MS: "1000"
      })
    ).toMatchObject({
      _tag: "Success",
      success: {
        jobSweepMs: 5000,
        jobLeaseMs: 60_000,
        jobMaxAttempts: 8,
        jobRetryBaseMs: 500,
        jobRetryMaxMs: 60_000,
        pullTickMs: 1000
      }
    })
  })

  it("refuses values out of bounds or not whole numbers, naming the variable", async () => {
    for (const [name, raw] of [
      ["JOB_SWEEP_MS", "999"],
      ["JOB_SWEEP_MS", "soon"],
      ["JOB_LEASE_MS", "9999"],
      ["JOB_MAX_ATTEMPTS", "0"],
      ["JOB_MAX_ATTEMPTS", "2.5"],
      ["JOB_RETRY_BASE_MS", "99"],
      ["JOB_RETRY_MAX_MS", "-1"],
      ["PULL_TICK_MS", "0"]
    ] as const) {
      const result = await load({ [name]: raw })
      expect(result._tag, `${name}=${raw}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
  })
})

describe("OAuth settings", () => {
  const settingsOf = (env: Record<string, string>) =>
    Effect.runPromise(appSettingsConfig.parse(ConfigProvider.fromUnknown(env)))

  it("default to the tenant's host as issuer, 15 min tokens, a key a month published 10 min ahead", async () => {
    expect(await load({})).toMatchObject({
      _tag: "Success",
      success: {
        oauth: {
          issuerTemplate: undefined,
          audienceTemplate: undefined,
          tokenTtlSeconds: 900,
          keyRotationSeconds: 30 * 86_400,
          keyLeadSeconds: 600
        }
      }
    })
    expect(
      await load({
        OAUTH_ISSUER: " https://auth.example.com/{tenant}/ ",
        OAUTH_AUDIENCE: "https://api.example.com/",
        OAUTH_TOKEN_TTL_S: "3600",
        OAUTH_KEY_ROTATION_S: "86400",
        OAUTH_KEY_LEAD_S: "30"
      })
    ).toMatchObject({
      _tag: "Success",
      success: {
        oauth: {
          issuerTemplate: "https://auth.example.com/{tenant}",
          audienceTemplate: "https://api.example.com",
          tokenTtlSeconds: 3600,
          keyRotationSeconds: 86_400,
          keyLeadSeconds: 30
        }
      }
    })
  })

  it("refuses an issuer without {tenant} (every tenant would share one), naming the variable", async () => {
    const result = await load({ OAUTH_ISSUER: "https://auth.example.com" })
    expect(result._tag).toBe("Failure")
    const message = String(result._tag === "Failure" ? result.failure : "")
    expect(message).toContain("OAUTH_ISSUER")
    expect(message).toContain("expected a URL with {tenant} in it")
    // The audience may be one URL for every tenant.
    expect(await load({ OAUTH_AUDIENCE: "https://api.example.com" })).toMatchObject({ _tag: "Success" })
  })

  it("refuses an issuer or audience that is not an http(s) URL once filled in, naming the variable", async () => {
    for (const [name, value] of [
      ["OAUTH_ISSUER", "{tenant}.example.com"],
      ["OAUTH_ISSUER", "ftp://{tenant}.example.com"],
      ["OAUTH_ISSUER", "https://user:secret@{tenant}.example.com"],
      ["OAUTH_ISSUER", "https://{tenant}.example.com:{PORT}x"],
      ["OAUTH_AUDIENCE", "not a url"],
      ["OAUTH_AUDIENCE", "mailto:api@example.com"]
    ] as const) {
      const result = await load({ [name]: value })
      expect(result._tag, `${name}=${value}`).toBe("Failure")
      const message = String(result._tag === "Failure" ? result.failure : "")
      expect(message, name).toContain(name)
      if (value.includes("{tenant}") || name === "OAUTH_AUDIENCE")
        expect(message, name).toContain("http:// or https://")
    }
  })

  it("refuses token and key lifetimes out of bounds or not whole seconds, naming the variable", async () => {
    for (const [name, raw] of [
      ["OAUTH_TOKEN_TTL_S", "59"],
      ["OAUTH_TOKEN_TTL_S", "86401"],
      ["OAUTH_TOKEN_TTL_S", "900.5"],
      ["OAUTH_TOKEN_TTL_S", "a while"],
      ["OAUTH_KEY_ROTATION_S", "59"],
      ["OAUTH_KEY_ROTATION_S", String(365 * 86_400 + 1)],
      ["OAUTH_KEY_LEAD_S", "0"],
      ["OAUTH_KEY_LEAD_S", "86401"]
    ] as const) {
      const result = await load({ [name]: raw })
      expect(result._tag, `${name}=${raw}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
    for (const [name, raw] of [
      ["OAUTH_TOKEN_TTL_S", "60"],
      ["OAUTH_TOKEN_TTL_S", "86400"],
      ["OAUTH_KEY_LEAD_S", "1"]
    ] as const) {
      expect(await load({ [name]: raw }), `${name}=${raw}`).toMatchObject({ _tag: "Success" })
    }
  })

  it("oauthUrls: the tenant's host by default, the audience its issuer and /api", async () => {
    expect(oauthUrls(await settingsOf({}), "acme")).toEqual({
      issuer: "http://acme.localhost:8080",
      audience: "http://acme.localhost:8080/api"
    })
    expect(
      oauthUrls(await settingsOf({ BASE_DOMAIN: "pos.example.com", PORT: "9090", BASE_PATH: "/svc/pos/" }), "acme")
    ).toEqual({
      issuer: "http://acme.pos.example.com:9090/svc/pos",
      audience: "http://acme.pos.example.com:9090/svc/pos/api"
    })
  })

  it("oauthUrls: fills {tenant}, {BASE_DOMAIN}, {PORT} and {BASE_PATH} in OAUTH_ISSUER and OAUTH_AUDIENCE", async () => {
    const base = { BASE_DOMAIN: "pos.example.com", PORT: "8443", BASE_PATH: "/pos" }
    const issuerOnly = await settingsOf({
      ...base,
      OAUTH_ISSUER: "https://{tenant}.{BASE_DOMAIN}:{PORT}{BASE_PATH}/auth/{tenant}"
    })
    expect(oauthUrls(issuerOnly, "globex")).toEqual({
      issuer: "https://globex.pos.example.com:8443/pos/auth/globex",
      audience: "https://globex.pos.example.com:8443/pos/auth/globex/api"
    })
    const both = await settingsOf({
      ...base,
      OAUTH_ISSUER: "https://auth.{BASE_DOMAIN}/{tenant}",
      OAUTH_AUDIENCE: "https://{tenant}.{BASE_DOMAIN}{BASE_PATH}/api/"
    })
    expect(oauthUrls(both, "acme")).toEqual({
      issuer: "https://auth.pos.example.com/acme",
      audience: "https://acme.pos.example.com/pos/api"
    })
    // A fixed audience is the same for every tenant; the issuer is each tenant's own.
    const fixed = await settingsOf({ OAUTH_AUDIENCE: "https://api.example.com" })
    expect(oauthUrls(fixed, "acme").audience).toBe("https://api.example.com")
    expect(oauthUrls(fixed, "globex").audience).toBe("https://api.example.com")
    expect(oauthUrls(fixed, "acme").issuer).not.toBe(oauthUrls(fixed, "globex").issuer)
  })
})

describe("partner webhook delivery settings", () => {
  it("default to 32 tries at once, 4 per endpoint, a 10 s deadline, retries from 5 s up to an hour for a day", async () => {
    expect(await load({})).toMatchObject({
      _tag: "Success",
      success: {
        webhookAllowLoopback: false,
        webhookDelivery: {
          concurrency: 32,
          inFlightPerEndpoint: 4,
          timeoutMs: 10_000,
          retryBaseMs: 5000,
          retryMaxMs: 3_600_000,
          giveUpMs: 86_400_000,
          sweepMs: 60_000,
          retentionDays: 30
        }
      }
    })
    expect(
      await load({
        WEBHOOK_CONCURRENCY: "8",
        WEBHOOK_MAX_IN_FLIGHT: "1",
        WEBHOOK_TIMEOUT_MS: "2500",
        WEBHOOK_GIVE_UP_MS: "3600000",
        WEBHOOK_DELIVERY_RETENTION_DAYS: "7"
      })
    ).toMatchObject({
      _tag: "Success",
      success: {
        webhookDelivery: {
          concurrency: 8,
          inFlightPerEndpoint: 1,
          timeoutMs: 2500,
          giveUpMs: 3_600_000,
          retentionDays: 7
        }
      }
    })
  })

  it("refuses values out of bounds or not whole numbers, naming the variable", async () => {
    for (const [name, value] of [
      ["WEBHOOK_CONCURRENCY", "0"],
      ["WEBHOOK_MAX_IN_FLIGHT", "101"],
      ["WEBHOOK_TIMEOUT_MS", "99"],
      ["WEBHOOK_TIMEOUT_MS", "1.5"],
      ["WEBHOOK_RETRY_BASE_MS", "soon"],
      ["WEBHOOK_GIVE_UP_MS", String(8 * 86_400_000)],
      ["WEBHOOK_SWEEP_MS", "10"],
      ["WEBHOOK_DELIVERY_RETENTION_DAYS", "0"]
    ] as const) {
      const result = await load({ [name]: value })
      expect(result._tag, `${name}=${value}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
  })
})

describe("metrics settings", () => {
  it("leave /metrics to loopback and tenant ids out of the labels unless set; an empty token is none", async () => {
    expect(await load({})).toMatchObject({
      _tag: "Success",
      success: { metrics: { token: undefined, tenantLabels: false } }
    })
    expect(await load({ METRICS_TOKEN: "" })).toMatchObject({
      _tag: "Success",
      success: { metrics: { token: undefined } }
    })
    const set = await load({ METRICS_TOKEN: "scrape-me", METRICS_TENANT_LABELS: "true" })
    if (set._tag !== "Success") return expect.fail("the settings did not load")
    expect(set.success.metrics.tenantLabels).toBe(true)
    expect(set.success.metrics.token === undefined ? undefined : Redacted.value(set.success.metrics.token)).toBe(
      "scrape-me"
    )
    // Never shown by the settings' own printing.
    expect(String(set.success.metrics.token)).not.toContain("scrape-me")
  })

  it("refuses METRICS_TENANT_LABELS that is not a boolean, naming it", async () => {
    const result = await load({ METRICS_TENANT_LABELS: "sometimes" })
    expect(result._tag).toBe("Failure")
    expect(String(result._tag === "Failure" ? result.failure : "")).toContain("METRICS_TENANT_LABELS")
  })
})

describe("tracing settings (the OpenTelemetry variables)", () => {
  const tracingOf = async (env: Record<string, string>) => {
    const result = await load(env)
    if (result._tag !== "Success") return expect.fail(`the settings did not load: ${String(result.failure)}`)
    return result.success.tracing
  }

  it("are off without an endpoint, and export everything to <endpoint>/v1/traces with one", async () => {
    // The defaults the tests' settings start from are what no variable reads as.
    expect(await tracingOf({})).toEqual(tracingOff)
    expect(tracingOff).toMatchObject({ endpoint: undefined, sampleRatio: 1, parentBased: true })
    expect((await tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).endpoint).toBe(
      "http://collector:4318/v1/traces"
    )
    // The signal's own variable is used as is, and wins.
    const both = await tracingOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/otlp/v1/traces"
    })
    expect(both.endpoint).toBe("https://traces.example/otlp/v1/traces")
    for (const off of [{ OTEL_SDK_DISABLED: "true" }, { OTEL_TRACES_EXPORTER: "none" }]) {
      expect((await tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", ...off })).endpoint).toBe(
        undefined
      )
    }
  })

  it("reads headers, the service name, the sampler and the export interval", async () => {
    const set = await tracingOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=s%3Dcret, X-Team=pos",
      OTEL_SERVICE_NAME: "pos-eu",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
      OTEL_BSP_SCHEDULE_DELAY: "1000",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf"
    })
    expect(set).toEqual({
      endpoint: "http://collector:4318/v1/traces",
      headers: { "api-key": "s=cret", "x-team": "pos" },
      serviceName: "pos-eu",
      sampleRatio: 0.1,
      parentBased: true,
      exportIntervalMs: 1000,
      protocol: "http/protobuf"
    })
    // The signal's own protocol wins; JSON is the default.
    expect(
      await tracingOf({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" })
    ).toMatchObject({ protocol: "http/json" })
    expect(await tracingOf({})).toMatchObject({ protocol: "http/json" })
    expect(await tracingOf({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.5" })).toMatchObject({
      sampleRatio: 0.5,
      parentBased: false
    })
    expect(await tracingOf({ OTEL_TRACES_SAMPLER: "always_off" })).toMatchObject({ sampleRatio: 0 })
    // The argument applies to the ratio samplers only.
    expect(await tracingOf({ OTEL_TRACES_SAMPLER_ARG: "0.5" })).toMatchObject({ sampleRatio: 1 })
  })

  it("refuses what it cannot use, naming the variable", async () => {
    for (const [name, value] of [
      ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"],
      ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector"],
      ["OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"],
      ["OTEL_TRACES_SAMPLER", "sometimes"],
      ["OTEL_TRACES_SAMPLER_ARG", "1.5"],
      ["OTEL_TRACES_EXPORTER", "zipkin"],
      ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
      ["OTEL_BSP_SCHEDULE_DELAY", "0"]
    ] as const) {
      const result = await load({ [name]: value })
      expect(result._tag, `${name}=${value}`).toBe("Failure")
      expect(String(result._tag === "Failure" ? result.failure : ""), name).toContain(name)
    }
  })
})
