import { Webhook } from "standardwebhooks"
import { describe, expect, it } from "vitest"
import { newWebhookSecret } from "../../domain/webhook-endpoint.ts"
import { isWebhookSecret, signatureHeaders } from "./signing.ts"

const body = '{"type":"order.created","timestamp":"2026-01-05T10:00:00.000Z","data":{"id":"ord_1"}}'
const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"

/** What a partner's code does with the request it received: the Standard Webhooks library's check. */
const verifies = (secret: string, payload: string | Uint8Array, headers: Record<string, string>) => {
  try {
    new Webhook(secret).verify(payload, headers)
    return true
  } catch {
    return false
  }
}

describe("webhook secrets", () => {
  it("are whsec_ and the base64 of 32 random bytes, each new one different", () => {
    const secrets = Array.from({ length: 20 }, newWebhookSecret)
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32)
      expect(isWebhookSecret(secret)).toBe(true)
    }
    expect(new Set(secrets).size).toBe(secrets.length)
  })

  it("accepts canonical base64 of 24 to 64 bytes after whsec_, and nothing else", () => {
    const of = (bytes: number) => `whsec_${Buffer.alloc(bytes, 7).toString("base64")}`
    expect(isWebhookSecret(of(24))).toBe(true)
    expect(isWebhookSecret(of(64))).toBe(true)
    expect(isWebhookSecret(of(23))).toBe(false)
    expect(isWebhookSecret(of(65))).toBe(false)
    expect(isWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(true)
    // No prefix, another prefix, padding left out, URL-safe letters, spaces, bits past the last byte.
    expect(isWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(false)
    expect(isWebhookSecret("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(false)
    expect(isWebhookSecret(of(32).replace(/=$/, ""))).toBe(false)
    const urlSafe = Buffer.alloc(32, 0xfb).toString("base64").replaceAll("+", "-").replaceAll("/", "_")
    expect(urlSafe).toMatch(/[-_]/)
    expect(isWebhookSecret(`whsec_${urlSafe}`)).toBe(false)
    expect(isWebhookSecret(`${of(32)} `)).toBe(false)
    expect(isWebhookSecret(of(32).replace(/.=$/, "B="))).toBe(false)
    expect(isWebhookSecret("")).toBe(false)
    expect(isWebhookSecret("whsec_")).toBe(false)
  })
})

describe("signature headers", () => {
  it("match the Standard Webhooks library's own signing test vector", () => {
    const headers = signatureHeaders({
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      timestamp: new Date(1614265330 * 1000),
      body: '{"test": 2432232314}',
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    })
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    })
  })

  it("verify with the Standard Webhooks library, as a string body or as the bytes sent", () => {
    const secret = newWebhookSecret()
    const at = new Date()
    const headers = signatureHeaders({ id, timestamp: at, body, secrets: [secret] })
    expect(headers["webhook-id"]).toBe(id)
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)))
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(verifies(secret, body, { ...headers })).toBe(true)
    expect(verifies(secret, new TextEncoder().encode(body), { ...headers })).toBe(true)
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])
    const raw = signatureHeaders({ id, timestamp: new Date(), body: bytes, secrets: [secret] })
    expect(verifies(secret, bytes, { ...raw })).toBe(true)
  })

  it("carry one signature per secret, current first, each verifying with its own secret during a rotation", () => {
    const current = newWebhookSecret()
    const previous = newWebhookSecret()
    const at = new Date()
    const headers = signatureHeaders({ id, timestamp: at, body, secrets: [current, previous] })
    const signatures = headers["webhook-signature"].split(" ")
    expect(signatures).toEqual([
      signatureHeaders({ id, timestamp: at, body, secrets: [current] })["webhook-signature"],
      signatureHeaders({ id, timestamp: at, body, secrets: [previous] })["webhook-signature"]
    ])
    expect(verifies(current, body, { ...headers })).toBe(true)
    expect(verifies(previous, body, { ...headers })).toBe(true)
    expect(verifies(newWebhookSecret(), body, { ...headers })).toBe(false)
  })

  it("fail verification when the body, the id or the timestamp is not what was signed", () => {
    const secret = newWebhookSecret()
    const headers = signatureHeaders({ id, timestamp: new Date(), body, secrets: [secret] })
    expect(verifies(secret, body.replace("ord_1", "ord_2"), { ...headers })).toBe(false)
    expect(verifies(secret, `${body} `, { ...headers })).toBe(false)
    expect(verifies(secret, body, { ...headers, "webhook-id": "msg_other" })).toBe(false)
    const moved = String(Number(headers["webhook-timestamp"]) - 1)
    expect(verifies(secret, body, { ...headers, "webhook-timestamp": moved })).toBe(false)
  })

  it("fail verification once the timestamp is older than the library's five minutes, though correctly signed", () => {
    const secret = newWebhookSecret()
    const sign = (ageSeconds: number) =>
      signatureHeaders({ id, timestamp: new Date(Date.now() - ageSeconds * 1000), body, secrets: [secret] })
    expect(verifies(secret, body, { ...sign(4 * 60) })).toBe(true)
    expect(verifies(secret, body, { ...sign(5 * 60 + 10) })).toBe(false)
    expect(verifies(secret, body, { ...sign(-(5 * 60 + 10)) })).toBe(false)
  })

  it("put whole seconds in webhook-timestamp, the attempt's, and sign those", () => {
    const secret = newWebhookSecret()
    const at = new Date(Date.now() - 1500)
    const headers = signatureHeaders({ id, timestamp: at, body, secrets: [secret] })
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)))
    expect(verifies(secret, body, { ...headers })).toBe(true)
  })

  it("refuse an id that could shift the signed content or break a header, and a missing or malformed secret", () => {
    const secret = newWebhookSecret()
    const at = new Date()
    expect(() => signatureHeaders({ id: "msg.1", timestamp: at, body, secrets: [secret] })).toThrow()
    expect(() => signatureHeaders({ id: "msg 1", timestamp: at, body, secrets: [secret] })).toThrow()
    expect(() => signatureHeaders({ id: "msg\r\nX: 1", timestamp: at, body, secrets: [secret] })).toThrow()
    expect(() => signatureHeaders({ id: "", timestamp: at, body, secrets: [secret] })).toThrow()
    expect(() => signatureHeaders({ id, timestamp: at, body, secrets: [] })).toThrow()
    expect(() => signatureHeaders({ id, timestamp: at, body, secrets: ["whsec_short"] })).toThrow()
    expect(() => signatureHeaders({ id, timestamp: new Date(Number.NaN), body, secrets: [secret] })).toThrow()
  })
})
