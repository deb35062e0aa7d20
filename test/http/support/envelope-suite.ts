import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestApp } from "../../support/app.ts"
import { defectMessage, defectSecret, defectSql, storageCrashSecret } from "./echo-group.ts"
import {
  captureConsole,
  expectEnvelope,
  expectInvalidKey,
  type Faults,
  fakeKey,
  faultyStorage,
  jsonHeaders,
  type MakeStorage,
  megabytes,
  requestIdPattern,
  type SendInit,
  send,
  startApp,
  storageFaultDetail,
  tenantId,
  trackedBody
} from "./harness.ts"

const whoami = "/api/v1/auth/whoami"
const echo = "/api/v1/test/echo"
const acmeHost = "acme.localhost"
const echoBody = JSON.stringify({ name: "latte", quantity: 2 })

/** SPEC section 4: the stable message of each status this service answers. */
const messages: Record<number, ReadonlyArray<string>> = {
  400: ["invalid request"],
  401: ["invalid api key"],
  403: ["forbidden"],
  404: ["not found"],
  405: ["method not allowed"],
  413: ["payload too large"],
  415: ["unsupported media type"],
  500: ["internal error"],
  503: ["not configured", "temporarily unavailable"]
}

/** Things a 500 must never show: the defect's text, SQL, a secret, a stack or a source path. */
const internals = [
  defectMessage,
  defectSecret,
  defectSql,
  storageFaultDetail,
  "SELECT",
  "password",
  "Error",
  "    at ",
  ".ts:",
  "echo-group",
  "StorageError"
]

/** SPEC section 4: the envelope on every error, from every layer; routing before tenancy. */
export const envelopeSuite = (name: string, makeStorage: MakeStorage) =>
  describe(`error envelope (${name})`, () => {
    let app: TestApp
    let partner: string
    let pos: string
    beforeAll(async () => {
      app = await startApp(makeStorage)
      await app.createTenant({ id: tenantId("acme") })
      partner = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
      pos = (await app.issueKey(tenantId("acme"), { kind: "pos" })).plaintext
    })
    afterAll(() => app?.close())

    const callers: ReadonlyArray<readonly [string, () => SendInit]> = [
      ["no host and no key", () => ({})],
      ["a valid tenant and key", () => ({ host: acmeHost, key: partner })],
      ["a valid tenant and a bad key", () => ({ host: acmeHost, key: fakeKey(1) })],
      ["an unknown tenant", () => ({ host: "nope.localhost", key: partner })]
    ]

    describe("unknown route: 404 whatever the host or key", () => {
      const paths = [
        "/api/v1/nope",
        "/",
        "/api",
        "/api/v1",
        "/api/v1/auth",
        "/api/v1/auth/whoami/extra",
        "/api/v3/menus",
        "/nope?x=1",
        "/api/v1/%3Cscript%3E%22",
        "/healthz/x"
      ]
      for (const [label, init] of callers) {
        it.each(paths)(`GET %s with ${label}`, async (path) => {
          const { error, headers } = await expectEnvelope(await send(app, path, init()), 404, "not found")
          expect(error.details.length).toBeGreaterThan(0)
          expect(headers.get("x-request-id")).toMatch(requestIdPattern)
          expect(headers.get("allow")).toBeNull()
        })
      }

      it("a POST with a body to an unknown route is a 404 and the body is not read", async () => {
        const body = trackedBody(megabytes(20))
        await expectEnvelope(
          await send(app, "/api/v1/nothing-here/nope", { method: "POST", headers: jsonHeaders, body: body.stream }),
          404,
          "not found"
        )
        expect(body.state.bytes).toBe(0)
      })
    })

    describe("wrong method: 405 with Allow, before tenancy", () => {
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        ["POST", whoami, "GET, HEAD"],
        ["PUT", whoami, "GET, HEAD"],
        ["PATCH", whoami, "GET, HEAD"],
        ["DELETE", whoami, "GET, HEAD"],
        ["OPTIONS", whoami, "GET, HEAD"],
        ["POST", "/healthz", "GET, HEAD"],
        ["DELETE", "/readyz", "GET, HEAD"],
        ["POST", "/api/openapi.json", "GET, HEAD"],
        ["POST", "/docs", "GET, HEAD"],
        ["GET", echo, "POST"],
        ["PUT", echo, "POST"],
        ["DELETE", echo, "POST"]
      ]
      for (const [label, init] of callers) {
        it.each(cases)(`%s %s with ${label}`, async (method, path, allow) => {
          const { error, headers } = await expectEnvelope(
            await send(app, path, { ...init(), method }),
            405,
            "method not allowed"
          )
          expect(headers.get("allow")).toBe(allow)
          expect(error.details.length).toBeGreaterThan(0)
        })
      }

      it("a wrong method with a large body is a 405 and the body is not read", async () => {
        const body = trackedBody(megabytes(20))
        const response = await send(app, echo, { method: "PUT", headers: jsonHeaders, body: body.stream })
        expect((await expectEnvelope(response, 405, "method not allowed")).headers.get("allow")).toBe("POST")
        expect(body.state.bytes).toBe(0)
      })

      it.each(["/healthz", whoami])("HEAD, listed in Allow, is answered on %s", async (path) => {
        const response = await send(app, path, { method: "HEAD", host: acmeHost, key: partner })
        expect(response.status).toBe(200)
        expect(await response.text()).toBe("")
      })
    })

    describe("defects: 500 with the request id and nothing internal", () => {
      let capture: ReturnType<typeof captureConsole>
      beforeAll(() => {
        capture = captureConsole()
      })
      afterAll(() => capture?.restore())

      it.each([
        ["a tenant-free route", "/test/crash", false],
        ["an authenticated route", "/api/v1/test/defect", true]
      ] as const)("a handler dying on %s", async (_label, path, authenticated) => {
        const response = await send(app, path, authenticated ? { host: acmeHost, key: partner } : {})
        const id = response.headers.get("x-request-id")
        expect(id).toMatch(requestIdPattern)
        const { text } = await expectEnvelope(response, 500, "internal error")
        expect(text).toBe(
          JSON.stringify({ error: { code: 500, message: "internal error", details: `request id ${id}` } })
        )
        for (const internal of internals) expect(text).not.toContain(internal)
        expect([...response.headers.values()].join(" ")).not.toContain(defectSecret)
      })

      it("details carry the caller's request id when it is valid", async () => {
        const response = await send(app, "/test/crash", { headers: { "x-request-id": "trace.42:a-b" } })
        expect(response.headers.get("x-request-id")).toBe("trace.42:a-b")
        const { error } = await expectEnvelope(response, 500, "internal error")
        expect(error.details).toBe("request id trace.42:a-b")
      })

      describe("in the JSON log", () => {
        let logged: TestApp
        beforeAll(async () => {
          logged = await startApp(makeStorage, { logFormat: "json", logLevel: "info" })
        })
        afterAll(() => logged?.close())

        const entriesAfter = (before: number) =>
          capture
            .entries()
            .slice(before)
            .map(
              (entry) => JSON.parse(entry) as { message: unknown; cause?: string; annotations: Record<string, unknown> }
            )

        it("the cause goes to the log", async () => {
          const before = capture.entries().length
          const response = await send(logged, "/test/crash", { headers: { "x-request-id": "cause-goes-to-log" } })
          expect(response.status).toBe(500)
          const withCause = entriesAfter(before).filter((entry) => entry.cause?.includes(defectSecret))
          expect(withCause).toHaveLength(1)
        })

        it("a database out of reach in a handler is a 503 to retry, with Retry-After; a statement it rejects stays a 500", async () => {
          const before = capture.entries().length
          const unreachable = await send(logged, "/test/crash/storage?kind=unreachable")
          expect(unreachable.headers.get("retry-after")).toBe("1")
          const { text } = await expectEnvelope(unreachable, 503, "temporarily unavailable")
          expect(JSON.parse(text).error.details).toBe("read the test rows failed; retry later")
          expect(text).not.toContain(storageCrashSecret)
          const logged503 = entriesAfter(before).filter((entry) =>
            JSON.stringify(entry).includes("storage unavailable")
          )
          expect(logged503).toHaveLength(1)
          const broken = await send(logged, "/test/crash/storage?kind=broken")
          const failure = await expectEnvelope(broken, 500, "internal error")
          expect(failure.text).not.toContain(storageCrashSecret)
        })

        // The id in a 500 body must lead to the cause in the log, whatever the log level.
        it("the log entry holding the cause carries the request id given in the 500 body", async () => {
          const before = capture.entries().length
          const response = await send(logged, "/test/crash", { headers: { "x-request-id": "find-me-in-the-log" } })
          expect(response.status).toBe(500)
          const withCause = entriesAfter(before).filter((entry) => entry.cause?.includes(defectSecret))
          expect(withCause).toHaveLength(1)
          expect(JSON.stringify(withCause[0])).toContain("find-me-in-the-log")
        })
      })
    })

    describe("storage failures", () => {
      const faults: Faults = { directory: false, keys: false }
      let faulty: TestApp
      let key: string
      let capture: ReturnType<typeof captureConsole>
      beforeAll(async () => {
        capture = captureConsole()
        faulty = await startApp(faultyStorage(makeStorage, faults))
        await faulty.createTenant({ id: tenantId("acme") })
        key = (await faulty.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
      })
      afterAll(async () => {
        faults.directory = false
        faults.keys = false
        await faulty?.close()
        capture?.restore()
      })

      it("works while storage is healthy", async () => {
        expect((await send(faulty, whoami, { host: acmeHost, key })).status).toBe(200)
      })

      it("a key store failure while authenticating is a 503, not a 401", async () => {
        // A live key whose row is not cached yet (issued, never presented), so the store is asked.
        const fresh = (await faulty.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
        faults.keys = true
        try {
          const response = await send(faulty, whoami, { host: acmeHost, key: fresh })
          const id = response.headers.get("x-request-id")
          expect(id).not.toBeNull()
          const { text } = await expectEnvelope(response, 503, "temporarily unavailable")
          expect(text).toBe(
            JSON.stringify({
              error: { code: 503, message: "temporarily unavailable", details: "find api key failed; retry later" }
            })
          )
          for (const internal of internals) expect(text).not.toContain(internal)
        } finally {
          faults.keys = false
        }
      })

      it("a tenant directory failure while resolving the host is a 503, not a 401", async () => {
        // A tenant known to exist but not looked up yet, so the directory is asked.
        await faulty.createTenant({ id: tenantId("other") })
        faults.directory = true
        try {
          const response = await send(faulty, whoami, { host: "other.localhost", key })
          const { text } = await expectEnvelope(response, 503, "temporarily unavailable")
          for (const internal of internals) expect(text).not.toContain(internal)
        } finally {
          faults.directory = false
        }
      })

      it("readyz is a 503 envelope while the control database fails; healthz stays 200", async () => {
        faults.directory = true
        try {
          const { text } = await expectEnvelope(await send(faulty, "/readyz"), 503, "temporarily unavailable")
          for (const internal of internals) expect(text).not.toContain(internal)
          expect((await send(faulty, "/healthz")).status).toBe(200)
        } finally {
          faults.directory = false
        }
        expect((await send(faulty, "/readyz")).status).toBe(200)
      })
    })

    describe("every error response is the envelope", () => {
      const cases: ReadonlyArray<readonly [number, string, () => SendInit]> = [
        [400, echo, () => ({ method: "POST", host: acmeHost, key: partner, headers: jsonHeaders, body: "{" })],
        [400, echo, () => ({ method: "POST", host: acmeHost, key: partner, headers: jsonHeaders, body: "{}" })],
        [401, whoami, () => ({ host: acmeHost })],
        [401, whoami, () => ({ host: "nope.localhost", key: partner })],
        [403, echo, () => ({ method: "POST", host: acmeHost, key: pos, headers: jsonHeaders, body: echoBody })],
        [404, "/api/v1/nope", () => ({})],
        [405, whoami, () => ({ method: "POST" })],
        [
          413,
          echo,
          () => ({ method: "POST", host: acmeHost, key: partner, headers: jsonHeaders, body: " ".repeat(megabytes(2)) })
        ],
        [415, echo, () => ({ method: "POST", host: acmeHost, key: partner, body: echoBody })],
        // A POS webhook's body is read as bytes: the library's bare 415, put in the envelope (its
        // text/plain type and length used to be kept, with the envelope's longer body).
        [415, "/api/v1/pos/deliverect/webhooks", () => ({ method: "POST", host: acmeHost, body: "{}" })],
        [500, "/test/crash", () => ({})]
      ]
      let capture: ReturnType<typeof captureConsole>
      beforeAll(() => {
        capture = captureConsole()
      })
      afterAll(() => capture?.restore())

      it.each(cases)(
        "%i on %s: JSON, non-empty, code equal to the status, the SPEC message",
        async (status, path, init) => {
          const { error } = await expectEnvelope(await send(app, path, init()), status)
          expect(messages[status]).toContain(error.message)
          expect(error.message).toMatch(/^[a-z][a-z ]*$/)
        }
      )

      it("401 answers are byte-identical whatever the reason", async () => {
        await expectInvalidKey(await send(app, whoami, { host: acmeHost }))
        await expectInvalidKey(await send(app, whoami, { host: "nope.localhost", key: partner }))
      })
    })

    describe("tenant-free routes", () => {
      const anyone: ReadonlyArray<readonly [string, SendInit]> = [
        ["no host, no key", {}],
        ["an unknown tenant and a bad key", { host: "nope.localhost", key: "garbage" }],
        ["a malformed host", { host: "-bad..host" }],
        ["a valid tenant without a key", { host: acmeHost }]
      ]

      it.each(anyone)("/healthz with %s", async (_label, init) => {
        const response = await send(app, "/healthz", init)
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual({ status: "ok" })
      })

      it.each(anyone)("/readyz with %s", async (_label, init) => {
        const response = await send(app, "/readyz", init)
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual({ status: "ready" })
      })

      it.each(anyone)("/api/openapi.json with %s", async (_label, init) => {
        const response = await send(app, "/api/openapi.json", init)
        expect(response.status).toBe(200)
        expect(response.headers.get("content-type")).toContain("application/json")
        const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> }
        expect(document.openapi).toMatch(/^3\./)
        expect(Object.keys(document.paths)).toContain(whoami)
      })

      it.each(anyone)("/docs with %s", async (_label, init) => {
        const response = await send(app, "/docs", init)
        expect(response.status).toBe(200)
        expect(response.headers.get("content-type")).toContain("text/html")
        expect(await response.text()).toMatch(/^<!DOCTYPE html>/i)
      })
    })
  })
