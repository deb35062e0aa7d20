import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { PayloadRejected } from "./errors.ts"
import { makeWebhookRequest, webhookHeader, webhookJson, webhookQuery } from "./webhook-request.ts"

const request = (headers: Record<string, string | undefined>, body: Uint8Array = new Uint8Array()) => ({
  headers,
  body
})

describe("webhookHeader", () => {
  it("finds a header whatever the case of its name or of the name asked for", () => {
    expect(webhookHeader(request({ "X-Deliverect-Signature": "ab" }), "x-deliverect-signature")).toBe("ab")
    expect(webhookHeader(request({ authorization: "Bearer t" }), "Authorization")).toBe("Bearer t")
  })

  it("answers undefined for a header that is absent or has no value", () => {
    expect(webhookHeader(request({ other: "x" }), "authorization")).toBeUndefined()
    expect(webhookHeader(request({ authorization: undefined, Authorization: "Basic x" }), "authorization")).toBe(
      "Basic x"
    )
  })
})

describe("webhookJson", () => {
  const parse = (body: Uint8Array) => Effect.runSync(Effect.result(webhookJson(request({}, body))))

  it("parses a UTF-8 JSON body", () => {
    expect(parse(new TextEncoder().encode('{"a": ["é", 1]}'))).toEqual(Result.succeed({ a: ["é", 1] }))
  })

  it.each([
    ["not JSON", new TextEncoder().encode("{not json")],
    ["empty", new Uint8Array()],
    ["not UTF-8", new Uint8Array([0x22, 0xff, 0xfe, 0x22])]
  ])("refuses a body that is %s with a PayloadRejected, never a throw", (_name, body) => {
    expect(parse(body)).toEqual(Result.fail(PayloadRejected.one("(root)", "the body is not JSON")))
  })
})

describe("makeWebhookRequest", () => {
  it("takes the path and every value of each query parameter from the URL, and POST by default", () => {
    const request = makeWebhookRequest({
      url: "https://acme.pos.example/base/api/v1/pos/square/webhooks?merchant=42&tag=a&tag=b%20c&empty=",
      headers: { "X-Signature": "s" },
      body: '{"a":1}'
    })
    expect(request.method).toBe("POST")
    expect(request.path).toBe("/base/api/v1/pos/square/webhooks")
    expect(request.url).toBe(
      "https://acme.pos.example/base/api/v1/pos/square/webhooks?merchant=42&tag=a&tag=b%20c&empty="
    )
    expect({ ...request.query }).toEqual({ merchant: ["42"], tag: ["a", "b c"], empty: [""] })
    expect(webhookQuery(request, "tag")).toBe("a")
    expect(webhookQuery(request, "missing")).toBeUndefined()
    // A parameter named like an Object.prototype member is no more than a parameter.
    expect(webhookQuery(request, "constructor")).toBeUndefined()
    expect(new TextDecoder().decode(request.body)).toBe('{"a":1}')
  })
})
