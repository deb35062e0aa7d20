import { createHmac } from "node:crypto"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import {
  concatBytes,
  decodeSignature,
  verifyHmac,
  verifyHmacSha256Hex
} from "../../application/pos-sdk/webhook-signature.ts"

const body = new TextEncoder().encode('{"event":"catalog.version.updated","merchant_id":"M1"}')
const url = "https://acme.pos.example/api/v1/pos/square/webhooks?x=1"
const secret = "wh-secret"
const run = (effect: Effect.Effect<void, unknown>) => Effect.runPromiseExit(effect)

describe("verifyHmac", () => {
  const sha256 = (message: Uint8Array | string) => createHmac("sha256", secret).update(message)

  it("checks SHA-256 and SHA-1 over any bytes, in hex or base64, with or without a prefix", async () => {
    const signedUrl = Buffer.concat([Buffer.from(url), body])
    const cases = [
      { algorithm: "SHA-256", message: body, signature: sha256(body).digest("hex"), encoding: "hex" },
      { algorithm: "SHA-256", message: body, signature: sha256(body).digest("hex").toUpperCase(), encoding: "hex" },
      {
        algorithm: "SHA-256",
        message: concatBytes(url, body),
        signature: sha256(signedUrl).digest("base64"),
        encoding: "base64"
      },
      { algorithm: "SHA-256", message: body, signature: sha256(body).digest("base64url"), encoding: "base64" },
      {
        algorithm: "SHA-1",
        message: body,
        signature: createHmac("sha1", secret).update(body).digest("hex"),
        encoding: "hex"
      },
      {
        algorithm: "SHA-256",
        message: body,
        signature: `sha256=${sha256(body).digest("hex")}`,
        encoding: "hex",
        prefix: "sha256="
      },
      {
        algorithm: "SHA-256",
        message: body,
        signature: `SHA256=${sha256(body).digest("hex")}`,
        encoding: "hex",
        prefix: "sha256="
      }
    ] as const
    for (const check of cases) {
      expect(Exit.isSuccess(await run(verifyHmac({ secret, ...check }))), JSON.stringify(check.signature)).toBe(true)
    }
  })

  it("refuses a changed message, another secret, another algorithm, a missing or malformed signature, a missing prefix", async () => {
    const good = sha256(body).digest("hex")
    const changed = new Uint8Array(body)
    changed[3] = changed[3]! ^ 1
    const refusals = [
      { message: changed, signature: good, encoding: "hex" },
      { message: body, signature: createHmac("sha256", "other").update(body).digest("hex"), encoding: "hex" },
      { message: body, signature: createHmac("sha1", secret).update(body).digest("hex"), encoding: "hex" },
      { message: body, signature: undefined, encoding: "hex" },
      { message: body, signature: "", encoding: "hex" },
      { message: body, signature: "zz", encoding: "hex" },
      { message: body, signature: good.slice(0, -2), encoding: "hex" },
      { message: body, signature: "@@@@", encoding: "base64" },
      { message: body, signature: good, encoding: "hex", prefix: "sha256=" }
    ] as const
    for (const check of refusals) {
      const exit = await run(verifyHmac({ algorithm: "SHA-256", secret, ...check }))
      expect(Exit.isFailure(exit), JSON.stringify(check.signature)).toBe(true)
      // The reason never carries the secret or the expected digest.
      expect(JSON.stringify(exit)).not.toContain(secret)
      expect(JSON.stringify(exit)).not.toContain(good)
    }
  })

  it("keeps Deliverect's hex helper: plain or sha256= prefixed", async () => {
    const hex = sha256(body).digest("hex")
    expect(Exit.isSuccess(await run(verifyHmacSha256Hex(secret, body, hex)))).toBe(true)
    expect(Exit.isSuccess(await run(verifyHmacSha256Hex(secret, body, `sha256=${hex}`)))).toBe(true)
    expect(Exit.isFailure(await run(verifyHmacSha256Hex(secret, body, `sha1=${hex}`)))).toBe(true)
  })
})

describe("decodeSignature", () => {
  it("reads hex and both base64 alphabets, and refuses anything else", () => {
    expect(decodeSignature("00ff", "hex")).toEqual(new Uint8Array([0, 255]))
    expect(decodeSignature("+/8=", "base64")).toEqual(new Uint8Array([251, 255]))
    expect(decodeSignature("-_8", "base64")).toEqual(new Uint8Array([251, 255]))
    for (const [text, encoding] of [
      ["0", "hex"],
      ["0g", "hex"],
      ["", "base64"],
      ["a", "base64"],
      ["ab=c", "base64"]
    ] as const) {
      expect(decodeSignature(text, encoding), text).toBeUndefined()
    }
  })
})
