import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Redacted } from "effect"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { allScopes } from "../../domain/api-key.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { fixtures as atlasFixtures } from "../../plugins/atlas-kitchen/fixtures/index.ts"
import deliverectMenu from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import deliverectWebhook from "../../plugins/deliverect/fixtures/webhook-busy-mode.json" with { type: "json" }
import { fixtures as lightspeedFixtures } from "../../plugins/lightspeed/fixtures/index.ts"
import { firstAdminKey } from "../admin/support.ts"
import { type OpenApiDocument, operations, servedDocument } from "../contract/served-document.ts"
import { simulatedPeerHeader, TestRoutes } from "../http/support/echo-group.ts"
import { send } from "../http/support/harness.ts"
import { makeClient } from "../oauth/support.ts"
import { makeScratchDatabases } from "../support/admin-cli.ts"
import { makeTestApp, type TestApp } from "../support/app.ts"
import { makeDatabaseSnapshots, type Snapshot } from "./database-snapshot.ts"
import { casesFor, type FuzzCase, materialise, type Target } from "./fuzz-cases.ts"
import type { SchemaContext } from "./json-schema.ts"
import { oauthCases, oauthRequest } from "./oauth-cases.ts"
import { seedRecords } from "./seed-records.ts"

/**
 * Every operation of the served OpenAPI document, called with requests drawn from its own schemas:
 * valid ones must answer a status the document lists; broken ones (wrong types, missing and unknown
 * fields, huge and empty strings, NUL and lone surrogates, deep nesting, duplicate keys, a wrong
 * content type, 1e309, a method the path does not answer) must be refused with a listed 4xx in the
 * error envelope. Never a 5xx, never a hang, and after any 4xx no row of the database changed
 * (read back on a connection of the suite's own), except the records kept by design:
 */
const keptByDesign = {
  tables: new Set([
    "syncs", // sync history: a refused push is recorded, with its error
    "idempotency_keys", // a refused request is replayed for its refCode
    "audit_log", // operators' actions, refused ones included
    "rate_limit_buckets", // rate limit state
    "oauth_jobs" // the signing key rotation's lease, renewed by a timer
  ]),
  columns: [
    "last_used_at", // when a key or client was last presented
    "last_success_at" // when an endpoint last took a delivery (the dispatcher's, below)
  ]
}

/** A refused POS push is announced: partner webhooks get `sync.failed` (the event, its deliveries, the endpoint's state). */
const syncFailedEvent = ["webhook_events", "webhook_deliveries", "webhook_delivery_attempts", "webhook_endpoints"]
/** The tables partner webhook deliveries progress in, event by event, in the background. */
const deliveryProgress = new Set(["webhook_deliveries", "webhook_delivery_attempts"])

/** `schema.table` → `table`. */
const tableName = (qualified: string) => qualified.slice(qualified.indexOf(".") + 1)

const keptAfterRefusal: Readonly<Record<string, ReadonlyArray<string>>> = {
  "POST /api/v1/outlets/sync": syncFailedEvent,
  "POST /api/v1/products/sync": syncFailedEvent
}

/** Whether two path templates can match the same path (`/products/{productId}` and `/products/sync`). */
const sameShape = (a: string, b: string) => {
  const x = a.split("/")
  const y = b.split("/")
  return (
    x.length === y.length &&
    x.every((segment, i) => segment === y[i] || segment.startsWith("{") || y[i]!.startsWith("{"))
  )
}

const serverUrl = process.env["DATABASE_URL"]
const seed = Number(
  process.env["FUZZ_SEED"] ?? process.env["FC_SEED"] ?? (process.env["CI"] === "true" ? 20261205 : Date.now() % 2 ** 31)
)
/** Cases per operation: FUZZ_CASES raises it for a longer run. */
const casesPerOperation = Number(process.env["FUZZ_CASES"] ?? 48)
const requestTimeoutMs = 15_000

const tenant = "acme" as TenantId
const host = "acme.localhost"

interface Finding {
  readonly where: string
  readonly request: string
  readonly status: number | "hang"
  readonly why: string
  readonly answer: string
}

const summarise = (m: {
  method: string
  url: string
  body: string | Uint8Array | undefined
  headers: Record<string, string>
}) => {
  const body = m.body === undefined ? "" : typeof m.body === "string" ? m.body : `<${m.body.length} bytes, not UTF-8>`
  const shown = body.length > 300 ? `${body.slice(0, 300)}... (${body.length} characters)` : body
  const url = m.url.length > 200 ? `${m.url.slice(0, 200)}... (${m.url.length} characters)` : m.url
  return `${m.method} ${url} ${JSON.stringify(m.headers)} ${shown}`
}

const withTimeout = <A>(promise: Promise<A>, ms: number) =>
  Promise.race([promise, new Promise<"hang">((done) => setTimeout(() => done("hang"), ms).unref())])

/** The error envelope of SPEC section 4, with the answer's status as its code. */
const envelopeProblem = (status: number, contentType: string | null, text: string): string | undefined => {
  if (contentType !== "application/json") return `content type ${contentType}, not application/json`
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }
    const keys = Object.keys(parsed).join(",")
    if (keys !== "error") return `top-level keys ${keys}`
    if (parsed.error?.code !== status) return `error.code ${String(parsed.error?.code)}`
    if (typeof parsed.error.message !== "string" || typeof parsed.error.details !== "string")
      return "message or details not text"
    return undefined
  } catch {
    return "not JSON"
  }
}

describe.skipIf(serverUrl === undefined || serverUrl === "")(
  "fuzzing every operation of the OpenAPI document (PostgreSQL)",
  () => {
    let receiver: Server
    let scratch: ReturnType<typeof makeScratchDatabases>
    let app: TestApp
    let snapshots: ReturnType<typeof makeDatabaseSnapshots>
    let partnerKey: string
    let adminKey: string
    let oauthClient: { id: string; secret: string }
    let paths: ReadonlyArray<string> = []
    let context: SchemaContext = { components: {} }
    let targets: ReadonlyArray<Target> = []

    /** Ids seen in answers, by the name of the field or path parameter that holds them. */
    const known = new Map<string, Array<string>>()
    /** Never used as a path id: the suite's own tenant, key and client (suspending them would end the run). */
    const protectedValues = new Map<string, Set<string>>()
    /** Request bodies each operation accepted, by "method path". */
    const acceptedBodies = new Map<string, Array<unknown>>()

    const remember = (name: string, value: string) => {
      if (protectedValues.get(name)?.has(value) === true) return
      const list = known.get(name) ?? []
      if (!list.includes(value) && value.length < 200) list.push(value)
      known.set(name, list)
    }
    const accepted = (target: Target, body: unknown) => {
      const list = acceptedBodies.get(`${target.method} ${target.path}`) ?? []
      if (list.length < 8) list.push(body)
      acceptedBodies.set(`${target.method} ${target.path}`, list)
    }
    /** The path parameter a path's items are addressed by (`/outlets` → outletId). */
    const itemParameter = (path: string) => {
      const below = paths.find((p) => p.startsWith(`${path}/{`))?.slice(path.length + 2)
      if (below !== undefined) return below.slice(0, below.indexOf("}"))
      return /\{([^}]+)\}$/.exec(path)?.[1]
    }
    const harvest = (target: Target, value: unknown) => {
      if (Array.isArray(value)) for (const v of value) harvest(target, v)
      else if (typeof value === "object" && value !== null) {
        for (const [k, v] of Object.entries(value)) {
          if (typeof v === "string" || typeof v === "number") {
            const name = k === "id" ? itemParameter(target.path) : k
            if (name !== undefined) remember(name, String(v))
          } else harvest(target, v)
        }
      }
    }
    const fixtureFor = (target: Target, pick: number) => {
      const choices =
        target.path === "/api/v1/outlets/sync"
          ? [
              { body: deliverectOutlets as unknown, provider: "deliverect" },
              ...lightspeedFixtures.outlets.map((o) => ({ body: o.payload, provider: "lightspeed" })),
              ...atlasFixtures.outlets.map((o) => ({ body: o.payload as unknown, provider: "atlas-kitchen" }))
            ]
          : target.path === "/api/v1/products/sync"
            ? [
                { body: deliverectMenu as unknown, provider: "deliverect" },
                ...lightspeedFixtures.catalogs.map((c) => ({
                  body: c.payload,
                  provider: "lightspeed",
                  query: c.context.externalOutletId
                })),
                ...atlasFixtures.catalogs.map((c) => ({
                  body: c.payload as unknown,
                  provider: "atlas-kitchen",
                  query: c.context.externalOutletId
                }))
              ]
            : [{ body: deliverectWebhook as unknown, provider: "deliverect" }]
      return choices[pick % choices.length]
    }
    const pickFrom = <A>(list: ReadonlyArray<A> | undefined, pick: number) =>
      list === undefined || list.length === 0 ? undefined : list[pick % list.length]
    const resolvers = {
      known: (name: string, pick: number) => pickFrom(known.get(name), pick),
      fixture: fixtureFor,
      accepted: (target: Target, pick: number) => pickFrom(acceptedBodies.get(`${target.method} ${target.path}`), pick)
    }

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        request.resume()
        request.on("end", () => response.writeHead(204).end())
      })
      await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done))
      const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
      scratch = makeScratchDatabases(serverUrl!)
      const database = await scratch.create()
      app = await makeTestApp(layerPostgresStorage({ url: Redacted.make(database.url), tenantPoolSize: 2 }), {
        routes: TestRoutes,
        settings: {
          // Background work quiet between requests: one delivery attempt, retries far away.
          orderRetryBaseMs: 3_600_000,
          orderSweepMs: 3_600_000,
          jobSweepMs: 3_600_000,
          jobRetryBaseMs: 3_600_000,
          pullTickMs: 3_600_000,
          posCallTimeoutMs: 1000,
          // Partner webhooks go to the receiver on loopback.
          webhookAllowLoopback: true,
          webhookDelivery: {
            concurrency: 4,
            inFlightPerEndpoint: 1,
            timeoutMs: 1000,
            retryBaseMs: 3_600_000,
            retryMaxMs: 3_600_000,
            giveUpMs: 24 * 3_600_000,
            sweepMs: 3_600_000,
            retentionDays: 30
          }
        }
      })
      await app.createTenant({ id: tenant, currency: "SGD", timezone: "Asia/Singapore", country: "SG" })
      await app.createTenant({ id: "victim" as TenantId, currency: "EUR", timezone: "Europe/Amsterdam", country: "NL" })
      const partner = await app.issueKey(tenant, { kind: "partner", scopes: allScopes, name: "fuzz" })
      partnerKey = partner.plaintext
      adminKey = await firstAdminKey(app, "fuzz")
      oauthClient = await makeClient(app, tenant, { scopes: ["outlets:read", "products:read", "orders:write"] })
      protectedValues.set("tenantId", new Set([tenant]))
      protectedValues.set("keyId", new Set([String(partner.record.id), "1"]))
      protectedValues.set("clientId", new Set([oauthClient.id]))

      // The document the service serves (the test routes beside the product's are not in it).
      const document: OpenApiDocument = (await servedDocument()).document
      paths = Object.keys(document.paths)
      context = { components: document.components.schemas as SchemaContext["components"] }
      targets = operations(document).map(({ path, method, operation }) => ({
        path,
        method,
        operation,
        unansweredMethods: ["get", "post", "put", "patch", "delete"].filter(
          (m) => !paths.some((other) => sameShape(path, other) && document.paths[other]?.[m] !== undefined)
        )
      }))

      // A catalog to work on: the outlets and menus of every bundled POS, pushed as they push them;
      // then one record of each kind a partner and an editor make.
      const seedCall = async (
        method: string,
        template: string,
        path: string,
        body?: unknown,
        headers: Record<string, string> = {}
      ) => {
        const target = targets.find((t) => t.method === method && t.path === template)
        if (target === undefined) throw new Error(`seeding: no operation ${method} ${template}`)
        const response = await send(app, path, {
          method: method.toUpperCase(),
          host,
          key: partnerKey,
          headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        })
        const text = await response.text()
        if (response.status >= 300) throw new Error(`seeding: ${method} ${path} answered ${response.status} ${text}`)
        const json = text === "" ? undefined : (JSON.parse(text) as unknown)
        harvest(target, json)
        if (body !== undefined && !template.endsWith("/sync")) accepted(target, body)
        return { json, etag: response.headers.get("etag") }
      }
      const push = (template: string, provider: string, body: unknown, query = "") =>
        seedCall("post", template, `${template}${query}`, body, { "x-provider": provider })
      await push("/api/v1/outlets/sync", "deliverect", deliverectOutlets)
      await push("/api/v1/products/sync", "deliverect", deliverectMenu)
      for (const [provider, set] of [
        ["lightspeed", lightspeedFixtures],
        ["atlas-kitchen", atlasFixtures]
      ] as const) {
        const catalog = set.catalogs[0]!
        await push("/api/v1/outlets/sync", provider, set.outlets[0]!.payload)
        await push(
          "/api/v1/products/sync",
          provider,
          catalog.payload,
          `?externalOutletId=${catalog.context.externalOutletId}`
        )
      }
      await seedRecords(seedCall, receiverUrl)
      remember("url", receiverUrl)
      for (const provider of ["deliverect", "lightspeed", "atlas-kitchen"]) remember("provider", provider)
      remember("tenantId", "victim")
      snapshots = makeDatabaseSnapshots(database.url, keptByDesign)
    }, 120_000)

    afterAll(async () => {
      await snapshots?.close()
      await app?.close()
      await scratch?.close()
      await new Promise((done) => receiver?.close(done))
    })

    it("answers valid requests with a listed status and refuses broken ones with a listed 4xx, changing nothing", async () => {
      console.info(
        `OpenAPI fuzz: seed ${seed}, ${casesPerOperation} cases an operation (FUZZ_SEED and FUZZ_CASES replay and lengthen it)`
      )
      const findings: Array<Finding> = []
      const statuses = new Map<string, Map<number | "hang", number>>()
      let before: Snapshot = await snapshots.settled()
      let sent = 0

      /** Sends one request and checks what every answer must be; `check` adds the route's own rule. */
      const exchange = async (
        where: string,
        request: {
          method: string
          url: string
          headers: Record<string, string>
          body: string | Uint8Array | undefined
          host: string
          key: string | undefined
        },
        check: (status: number, contentType: string | null, text: string) => ReadonlyArray<string>
      ) => {
        const answer = await withTimeout(
          send(app, request.url, {
            method: request.method,
            host: request.host,
            ...(request.key === undefined ? {} : { key: request.key }),
            headers: request.headers,
            ...(request.body === undefined ? {} : { body: request.body })
          }).then(async (response) => ({ response, text: await response.text() })),
          requestTimeoutMs
        )
        sent++
        const shown = summarise(request)
        const byStatus = statuses.get(where) ?? new Map<number | "hang", number>()
        statuses.set(where, byStatus)
        if (answer === "hang") {
          byStatus.set("hang", (byStatus.get("hang") ?? 0) + 1)
          findings.push({
            where,
            request: shown,
            status: "hang",
            why: `no answer in ${requestTimeoutMs} ms`,
            answer: ""
          })
          return undefined
        }
        const { response, text } = answer
        const status = response.status
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
        const problems = [...check(status, response.headers.get("content-type"), text)]
        if (status >= 400) {
          const kept = keptAfterRefusal[where]
          // What a refusal starts in the background (an event's delivery) is let finish first.
          const after = kept === undefined ? await snapshots.take() : await snapshots.settled()
          const changed = snapshots.changed(before, after).filter((table) => kept?.includes(tableName(table)) !== true)
          // The dispatcher delivering events recorded before this request (a pull job's or a
          // status change's, whose delivery may start after the snapshot settled) is not its doing:
          // a delivery the request caused would come with a new event.
          const newEvent = changed.some((table) => tableName(table) === "webhook_events")
          const ownChanges = newEvent ? changed : changed.filter((table) => !deliveryProgress.has(tableName(table)))
          if (ownChanges.length > 0) problems.push(`refused, yet changed rows of ${ownChanges.join(", ")}`)
          before = after
        } else if (request.method !== "GET") {
          before = await snapshots.settled()
        }
        for (const why of problems) findings.push({ where, request: shown, status, why, answer: text.slice(0, 400) })
        return { response, text, status }
      }

      const run = async (target: Target, fuzz: FuzzCase | undefined) => {
        const where = `${target.method.toUpperCase()} ${target.path}`
        const operation = target.operation
        const admin = target.path.startsWith("/admin/")
        const anonymous = (operation.security ?? []).length === 0
        const request = materialise(
          target,
          fuzz ?? { path: [], query: [], headers: [], body: undefined, mutation: undefined },
          context,
          resolvers
        )
        const headers: Record<string, string> = { ...request.headers }
        if (admin) headers[simulatedPeerHeader] = "127.0.0.1"
        // The resource's current entity tag, when the case leaves If-Match to be looked up.
        if (fuzz?.headers.some(([name, value]) => name === "if-match" && value === undefined) === true) {
          const resource =
            /^\/api\/v2\/menus\/drafts\/[^/?]+/.exec(request.url)?.[0] ??
            /^\/api\/v2\/menus\/[^/?]+/.exec(request.url)?.[0]
          if (resource !== undefined) {
            const current = await send(app, resource, { host, key: partnerKey })
            const etag = current.headers.get("etag")
            await current.body?.cancel()
            if (etag !== null) headers["if-match"] = etag
          }
        }
        const answer = await exchange(
          where,
          {
            method: request.method,
            url: request.url,
            headers,
            body: request.body,
            host: admin ? "localhost" : host,
            key: anonymous ? undefined : admin ? adminKey : partnerKey
          },
          (status, contentType, text) => {
            const problems: Array<string> = []
            if (operation.responses[String(status)] === undefined)
              problems.push(`status ${status} is not listed for the operation`)
            if (status >= 500) problems.push("a server error")
            if (request.mustRefuse !== undefined) {
              const { why, status: expected } = request.mustRefuse
              if (status < 400) problems.push(`accepted ${why}`)
              // 404 may come first where the resource decides the body's format (a POS's credentials, its webhooks).
              else if (expected !== undefined && status !== expected && !(expected === 400 && status === 404)) {
                problems.push(`answered ${why} with ${status}, not ${expected}`)
              }
            }
            if (status >= 400) {
              const envelope = envelopeProblem(status, contentType, text)
              if (envelope !== undefined) problems.push(`not the error envelope: ${envelope}`)
            }
            return problems
          }
        )
        if (answer === undefined || answer.status >= 300) return
        if (
          answer.response.headers.get("content-type")?.startsWith("application/json") === true &&
          answer.text !== ""
        ) {
          harvest(target, JSON.parse(answer.text))
        }
        if (
          fuzz?.mutation === undefined &&
          fuzz?.body !== undefined &&
          "json" in fuzz.body &&
          typeof request.body === "string"
        ) {
          accepted(target, JSON.parse(request.body))
        }
      }

      // First every list once, so ids are known; then the cases, one of each operation in turn.
      for (const target of targets.filter((t) => t.method === "get" && !t.path.includes("{")))
        await run(target, undefined)
      const drawn = targets.map((target, i) =>
        fc.sample(casesFor(target, context), { seed: seed + i, numRuns: casesPerOperation })
      )
      for (let round = 0; round < casesPerOperation; round++) {
        for (const [i, target] of targets.entries()) await run(target, drawn[i]![round]!)
      }

      // The token endpoint answers RFC 6749's errors, not the envelope.
      for (const tokenCase of fc.sample(oauthCases, { seed, numRuns: casesPerOperation * 4 })) {
        const request = oauthRequest(tokenCase, oauthClient)
        await exchange(
          "POST /oauth/token",
          { method: "POST", url: "/oauth/token", headers: request.headers, body: request.body, host, key: undefined },
          (status, contentType, text) => {
            const why = request.problem(status, contentType, text)
            return why === undefined ? [] : [why]
          }
        )
      }

      const lines = [...statuses].map(
        ([where, counts]) => `${where}: ${[...counts].map(([status, n]) => `${status}×${n}`).join(" ")}`
      )
      console.info(`OpenAPI fuzz: ${sent} requests, ${findings.length} findings (seed ${seed})\n${lines.join("\n")}`)
      if (findings.length > 0) {
        const shown = findings
          .slice(0, 40)
          .map((f) => `- ${f.where} → ${f.status}: ${f.why}\n    ${f.request}\n    ${f.answer}`)
          .join("\n")
        expect.fail(`${findings.length} findings (FUZZ_SEED=${seed} replays them):\n${shown}`)
      }
    }, 900_000)
  }
)
