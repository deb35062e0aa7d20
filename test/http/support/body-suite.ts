import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestApp } from "../../support/app.ts"
import { echoScope } from "./echo-group.ts"
import {
  expectEnvelope,
  expectInvalidKey,
  fakeKey,
  jsonHeaders,
  type MakeStorage,
  megabytes,
  type SendInit,
  send,
  startApp,
  tenantId,
  trackedBody
} from "./harness.ts"

const echo = "/api/v1/test/echo"
const acmeHost = "acme.localhost"
const valid = { name: "latte", quantity: 2 }

/** A valid echo payload padded with trailing spaces (still valid JSON) to exactly `bytes` bytes. */
const paddedTo = (bytes: number) => {
  const json = JSON.stringify(valid)
  expect(bytes).toBeGreaterThanOrEqual(json.length)
  return json.padEnd(bytes, " ")
}

/**
 * SPEC sections 3-4 for request bodies: content type (415), size (413) and validation (400), after
 * tenant, key (401) and scope (403); an unauthenticated body is never read.
 */
export const bodySuite = (name: string, makeStorage: MakeStorage) =>
  describe(`request bodies (${name})`, () => {
    let app: TestApp
    let partner: { readonly plaintext: string; readonly record: { readonly id: number } }
    /** A valid key without the echo endpoint's scope. */
    let pos: string
    beforeAll(async () => {
      app = await startApp(makeStorage)
      await app.createTenant({ id: tenantId("acme") })
      partner = await app.issueKey(tenantId("acme"), { kind: "partner" })
      pos = (await app.issueKey(tenantId("acme"), { kind: "pos" })).plaintext
    })
    afterAll(() => app?.close())

    const post = (init: Omit<SendInit, "method"> & { readonly contentType?: string | undefined }) => {
      const { contentType, headers, ...rest } = init
      return send(app, echo, {
        host: acmeHost,
        ...rest,
        method: "POST",
        headers: { ...headers, ...(contentType === undefined ? {} : { "content-type": contentType }) }
      })
    }
    const postJson = (body: string | Uint8Array | ReadableStream<Uint8Array>, key = partner.plaintext) =>
      post({ key, contentType: "application/json", body })

    it("a valid body is decoded and answered", async () => {
      const response = await postJson(JSON.stringify(valid))
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ tenantId: "acme", apiKeyId: partner.record.id, ...valid })
    })

    describe("validation: 400", () => {
      it.each([
        ["truncated object", "{"],
        ["single quotes", "{'name':'latte','quantity':2}"],
        ["trailing comma", '{"name":"latte","quantity":2,}'],
        ["not JSON at all", "name=latte&quantity=2"]
      ])("malformed JSON: %s", async (_label, body) => {
        await expectEnvelope(await postJson(body), 400, "invalid request")
      })

      it.each([
        ["quantity as a string", { name: "latte", quantity: "2" }, "quantity"],
        ["quantity as a fraction", { name: "latte", quantity: 1.5 }, "quantity"],
        ["quantity as null", { name: "latte", quantity: null }, "quantity"],
        ["name as a number", { name: 7, quantity: 2 }, "name"],
        ["name as an object", { name: { first: "latte" }, quantity: 2 }, "name"]
      ])("wrong field type (%s): details name the field", async (_label, body, field) => {
        const { error } = await expectEnvelope(await postJson(JSON.stringify(body)), 400, "invalid request")
        expect(error.details).toContain(field)
      })

      it.each([
        ["quantity", { name: "latte" }],
        ["name", { quantity: 2 }]
      ])("missing field %s: details name it", async (field, body) => {
        const { error } = await expectEnvelope(await postJson(JSON.stringify(body)), 400, "invalid request")
        expect(error.details).toContain(field)
      })

      it.each([
        ["an empty body", ""],
        ["null", "null"],
        ["an array", JSON.stringify([valid])],
        ["a string", JSON.stringify("latte")],
        ["an empty object", "{}"]
      ])("not an object: %s", async (_label, body) => {
        await expectEnvelope(await postJson(body), 400, "invalid request")
      })

      it("details never echo a key", async () => {
        const { text } = await expectEnvelope(
          await postJson(JSON.stringify({ name: partner.plaintext, quantity: "x" })),
          400,
          "invalid request"
        )
        expect(text).not.toContain(partner.plaintext)
      })
    })

    describe("content type: 415 before the body is read", () => {
      it.each([
        ["text/plain", "text/plain"],
        ["text/plain with a charset", "text/plain; charset=utf-8"],
        ["form encoded", "application/x-www-form-urlencoded"],
        ["multipart", "multipart/form-data; boundary=x"],
        ["octet stream", "application/octet-stream"],
        ["text/json", "text/json"],
        ["a look-alike", "application/jsonx"]
      ])("%s is a 415 envelope", async (_label, contentType) => {
        const body = trackedBody(1024)
        await expectEnvelope(
          await post({ key: partner.plaintext, contentType, body: body.stream }),
          415,
          "unsupported media type"
        )
        expect(body.state.bytes).toBe(0)
      })

      it("no content type is a 415 envelope", async () => {
        const response = await post({ key: partner.plaintext, body: new TextEncoder().encode(JSON.stringify(valid)) })
        await expectEnvelope(response, 415, "unsupported media type")
      })

      it.each(["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"])(
        "%s is accepted",
        async (contentType) => {
          const response = await post({ key: partner.plaintext, contentType, body: JSON.stringify(valid) })
          expect(response.status).toBe(200)
        }
      )
    })

    describe("size: 413", () => {
      it("a 20 MB body (with Content-Length) is a 413 envelope", async () => {
        const response = await postJson(new Uint8Array(megabytes(20)).fill(0x20))
        await expectEnvelope(response, 413, "payload too large")
      })

      it("a 20 MB streamed body (no Content-Length) is a 413 envelope and is not read to the end", async () => {
        const body = trackedBody(megabytes(20))
        await expectEnvelope(await postJson(body.stream), 413, "payload too large")
        expect(body.state.bytes).toBeLessThan(megabytes(20))
      })

      it("the default limit is 1 MB: exactly 1 MB passes, one byte more is a 413", async () => {
        expect(app.settings.maxBodyBytes).toBe(megabytes(1))
        expect((await postJson(paddedTo(megabytes(1)))).status).toBe(200)
        await expectEnvelope(await postJson(paddedTo(megabytes(1) + 1)), 413, "payload too large")
      })

      it("size is checked before validation: a huge malformed body is a 413, not a 400", async () => {
        await expectEnvelope(await postJson(`{${" ".repeat(megabytes(2))}`), 413, "payload too large")
      })

      describe("MAX_BODY_BYTES=1024", () => {
        let small: TestApp
        let key: string
        beforeAll(async () => {
          small = await startApp(makeStorage, { maxBodyBytes: 1024 })
          await small.createTenant({ id: tenantId("acme") })
          key = (await small.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
        })
        afterAll(() => small?.close())

        it.each([
          [1024, 200],
          [1025, 413]
        ])("a %i-byte body answers %i", async (bytes, status) => {
          const response = await send(small, echo, {
            method: "POST",
            host: acmeHost,
            key,
            headers: jsonHeaders,
            body: paddedTo(bytes)
          })
          if (status === 200) expect(response.status).toBe(200)
          else await expectEnvelope(response, 413, "payload too large")
        })
      })
    })

    describe("an unauthenticated body is never read", () => {
      it.each([
        ["no key", () => ({})],
        ["a malformed key", () => ({ key: "nope" })],
        ["an unknown key", () => ({ key: fakeKey(999) })],
        ["an unknown tenant", () => ({ host: "nope.localhost", key: partner.plaintext })]
      ] as const)("%s with a malformed body is a 401, not a 400", async (_label, init) => {
        const body = trackedBody(64, "{")
        await expectInvalidKey(await post({ contentType: "application/json", ...init(), body: body.stream }))
        expect(body.state.pulls).toBe(0)
      })

      it("no key with a 20 MB body is a 401, not a 413, and nothing is read", async () => {
        const body = trackedBody(megabytes(20))
        await expectInvalidKey(await post({ contentType: "application/json", body: body.stream }))
        expect(body.state.pulls).toBe(0)
      })
    })

    describe("order of checks: 401, 403, 415, 413, 400", () => {
      it("bad key + wrong content type: 401", async () => {
        await expectInvalidKey(await post({ key: fakeKey(1), contentType: "text/plain", body: "hello" }))
      })

      it("valid key without the scope + wrong content type: 403", async () => {
        const { error } = await expectEnvelope(
          await post({ key: pos, contentType: "text/plain", body: "hello" }),
          403,
          "forbidden"
        )
        expect(error.details).toContain(echoScope)
      })

      it("valid key without the scope + malformed JSON: 403, body not read", async () => {
        const body = trackedBody(64, "{")
        await expectEnvelope(
          await post({ key: pos, contentType: "application/json", body: body.stream }),
          403,
          "forbidden"
        )
        expect(body.state.pulls).toBe(0)
      })

      it("valid key without the scope + huge body: 403, body not read", async () => {
        const body = trackedBody(megabytes(20))
        await expectEnvelope(
          await post({ key: pos, contentType: "application/json", body: body.stream }),
          403,
          "forbidden"
        )
        expect(body.state.pulls).toBe(0)
      })

      it("valid key + wrong content type + huge body: 415, body not read", async () => {
        const body = trackedBody(megabytes(20))
        await expectEnvelope(
          await post({ key: partner.plaintext, contentType: "text/plain", body: body.stream }),
          415,
          "unsupported media type"
        )
        expect(body.state.pulls).toBe(0)
      })

      it("valid key + JSON + huge malformed body: 413", async () => {
        await expectEnvelope(await postJson(trackedBody(megabytes(20), "{").stream), 413, "payload too large")
      })

      it("valid key + JSON + small malformed body: 400", async () => {
        await expectEnvelope(await postJson("{"), 400, "invalid request")
      })
    })
  })
