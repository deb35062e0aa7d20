import { describe, expect, it } from "vitest"
import { tampered } from "../../test/http/support/harness.ts"
import { cookieAttributes, cookieValue, makeSessionCodec, SESSION_TTL_MS } from "./session.ts"

const codec = makeSessionCodec(Buffer.alloc(32, 7))
const other = makeSessionCodec(Buffer.alloc(32, 8))
const now = Date.parse("2026-12-04T12:00:00Z")

describe("console sessions", () => {
  it("reads back what it issued until it expires", () => {
    const { cookie, session } = codec.issue(3, now)
    expect(session).toMatchObject({ keyId: 3, expiresAt: now + SESSION_TTL_MS })
    expect(codec.read(cookie, now + 1000)).toEqual(session)
    expect(codec.read(cookie, now + SESSION_TTL_MS)).toBeUndefined()
  })

  it("refuses a cookie signed under another secret, or changed anywhere", () => {
    const { cookie } = codec.issue(3, now)
    expect(other.read(cookie, now)).toBeUndefined()
    const [version, keyId, expires, nonce, mac] = cookie.split(".")
    const forged = [
      [version, "4", expires, nonce, mac],
      [version, keyId, String(Number(expires) + 1), nonce, mac],
      [version, keyId, expires, tampered(nonce!), mac],
      [version, keyId, expires, nonce, tampered(mac!)],
      ["v2", keyId, expires, nonce, mac]
    ]
    for (const parts of forged) expect(codec.read(parts.join("."), now)).toBeUndefined()
    for (const junk of ["", "v1", "v1.3", `${cookie}.x`, cookie.replace(".", ";")]) {
      expect(codec.read(junk, now)).toBeUndefined()
    }
  })

  it("gives each session its own CSRF token", () => {
    const a = codec.issue(3, now).session
    const b = codec.issue(3, now).session
    expect(codec.csrfMatches(a, codec.csrfToken(a))).toBe(true)
    expect(codec.csrfMatches(a, codec.csrfToken(b))).toBe(false)
    expect(codec.csrfMatches(a, other.csrfToken(a))).toBe(false)
    expect(codec.csrfMatches(a, "")).toBe(false)
  })

  it("sets the cookie HttpOnly and SameSite=Strict, Secure when asked, and reads it from a Cookie header", () => {
    expect(cookieAttributes("/pos/admin", true, 60)).toBe(
      "Path=/pos/admin; HttpOnly; SameSite=Strict; Secure; Max-Age=60"
    )
    expect(cookieAttributes("/admin", false, 0)).toBe("Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0")
    expect(cookieValue("a=1; pos_admin_session=v1.x; b=2", "pos_admin_session")).toBe("v1.x")
    expect(cookieValue("a=1", "pos_admin_session")).toBeUndefined()
    expect(cookieValue(undefined, "pos_admin_session")).toBeUndefined()
  })
})
