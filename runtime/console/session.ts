import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * The console's sessions: a signed cookie, no server-side state. It names the admin key that signed
 * in, its expiry and a nonce, with an HMAC-SHA-256 under a secret derived from API_KEY_PEPPER; the
 * admin key is checked on every request (a revoked or expired key ends its sessions at once). The
 * CSRF token is another HMAC of the nonce: each session has its own, and a page of another session
 * (or a forged form) cannot present it.
 */
export const sessionCookieName = "pos_admin_session"

/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000

export interface Session {
  readonly keyId: number
  readonly expiresAt: number
  readonly nonce: string
}

const b64 = (bytes: Buffer) => bytes.toString("base64url")

export interface SessionCodec {
  readonly issue: (keyId: number, now: number) => { readonly cookie: string; readonly session: Session }
  /** The session a cookie value names, if its signature holds and it has not expired. */
  readonly read: (cookie: string, now: number) => Session | undefined
  readonly csrfToken: (session: Session) => string
  readonly csrfMatches: (session: Session, presented: string) => boolean
}

/** Compares two secrets in constant time. */
export const sameText = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** `secret`: at least 32 bytes of server secret, never sent anywhere. */
export const makeSessionCodec = (secret: Buffer): SessionCodec => {
  const mac = (label: string, payload: string) =>
    b64(createHmac("sha256", secret).update(`${label}\n${payload}`).digest())
  const payloadOf = (s: Session) => `v1.${s.keyId}.${s.expiresAt}.${s.nonce}`
  const csrfToken = (s: Session) => mac("csrf", payloadOf(s))
  return {
    issue: (keyId, now) => {
      const session = { keyId, expiresAt: now + SESSION_TTL_MS, nonce: b64(randomBytes(18)) }
      const payload = payloadOf(session)
      return { cookie: `${payload}.${mac("session", payload)}`, session }
    },
    read: (cookie, now) => {
      const match = /^v1\.([1-9][0-9]{0,9})\.([0-9]{1,15})\.([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/.exec(cookie)
      if (match === null) return undefined
      const session = { keyId: Number(match[1]), expiresAt: Number(match[2]), nonce: match[3]! }
      if (!sameText(mac("session", payloadOf(session)), match[4]!)) return undefined
      return session.expiresAt > now ? session : undefined
    },
    csrfToken,
    csrfMatches: (session, presented) => sameText(csrfToken(session), presented)
  }
}

/** The session cookie's attributes: Secure unless the console is reached on loopback over plain HTTP. */
export const cookieAttributes = (path: string, secure: boolean, maxAgeSeconds: number) =>
  [`Path=${path}`, "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : []), `Max-Age=${maxAgeSeconds}`].join("; ")

/** A cookie's value from a Cookie header. */
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  if (header === undefined) return undefined
  for (const part of header.split(";")) {
    const at = part.indexOf("=")
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}

/** The codec every part of the service derives alike from the key pepper (through KeySecrets' HMAC). */
export const sessionCodecOf = (secrets: { readonly hash: (secret: string) => string }): SessionCodec =>
  makeSessionCodec(Buffer.from(secrets.hash("pos-integration console session v1")))

/** The header a console page sends its session's CSRF token in, on every change. */
export const csrfHeader = "x-csrf-token"
