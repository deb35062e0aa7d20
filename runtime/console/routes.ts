import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { authenticateAdmin, keyActor } from "../../application/admin/admin-keys.ts"
import { AdminKeys } from "../../application/ports/admin.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { adminKeyState } from "../../domain/admin.ts"
import { AppConfig } from "../config.ts"
import { envelopeJson } from "../http/errors.ts"
import { refusedResponse } from "../http/middleware.ts"
import {
  cookieAttributes,
  cookieValue,
  csrfHeader,
  SESSION_TTL_MS,
  type Session,
  sessionCodecOf,
  sessionCookieName
} from "./session.ts"

/** Where the console is served (under BASE_PATH, as every route is). */
export const consolePath = "/admin"
export const sessionPath = `${consolePath}/session` as const

/** The console's routes, for the table that answers 405 to other methods on them. */
export const consoleMethods = [
  { method: "GET", path: consolePath },
  { method: "GET", path: `${consolePath}/console.js` },
  { method: "GET", path: `${consolePath}/console.css` },
  { method: "GET", path: sessionPath },
  { method: "POST", path: sessionPath },
  { method: "DELETE", path: sessionPath }
] as const

const assetsDir = join(import.meta.dirname, "assets")
const asset = (name: string) => readFileSync(join(assetsDir, name), "utf8")

/**
 * Nothing but the console's own files: no inline script or style, no other origin, no framing, no
 * form posted elsewhere.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join("; ")

const pageHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store"
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json", headers })

const envelope = (status: number, message: string, details: string) =>
  HttpServerResponse.text(envelopeJson(status, message, details), { status, contentType: "application/json" })

/** The console is reached on this machine over plain HTTP: a Secure cookie would never be sent back. */
const isLoopbackHost = (host: string | undefined) => {
  const name = (host ?? "").trim().toLowerCase().replace(/:\d+$/, "")
  return name === "localhost" || name.endsWith(".localhost") || name === "127.0.0.1" || name === "[::1]"
}

/** The console's page and files, and its sign-in, session and sign-out. */
export const consoleRoutes = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const secrets = yield* KeySecrets
    const adminKeys = yield* AdminKeys
    const sessions = sessionCodecOf(secrets)
    const page = asset("index.html")
    const script = asset("console.js")
    const style = asset("console.css")
    const cookiePath = `${config.basePath}${consolePath}`

    const setCookie = (request: HttpServerRequest.HttpServerRequest, value: string, maxAgeSeconds: number) =>
      `${sessionCookieName}=${value}; ${cookieAttributes(cookiePath, !isLoopbackHost(request.headers.host), maxAgeSeconds)}`

    const sessionView = (session: Session, name: string) => ({
      actor: name,
      keyId: session.keyId,
      csrfToken: sessions.csrfToken(session),
      expiresAt: new Date(session.expiresAt).toISOString()
    })

    /** The request's live session and its key, or undefined. */
    const currentSession = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const now = yield* Clock.currentTimeMillis
      const session = sessions.read(cookieValue(request.headers.cookie, sessionCookieName) ?? "", now)
      if (session === undefined) return undefined
      const record = yield* adminKeys.findById(session.keyId)
      if (record === undefined || adminKeyState(record, new Date(now)) !== "active") return undefined
      return { session, record }
    })

    const file = (body: string, contentType: string, headers: Record<string, string> = {}) =>
      Effect.succeed(HttpServerResponse.text(body, { contentType, headers: { ...pageHeaders, ...headers } }))

    return Layer.mergeAll(
      // Served at `/admin/`, so that its files resolve beside it: `/admin` is sent there (relative, under any BASE_PATH).
      HttpRouter.add(
        "GET",
        consolePath,
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
          new URL(request.url, "http://x").pathname.endsWith("/")
            ? file(page, "text/html; charset=utf-8")
            : Effect.succeed(HttpServerResponse.empty({ status: 308, headers: { location: "admin/" } }))
        )
      ),
      HttpRouter.add("GET", `${consolePath}/console.js`, file(script, "text/javascript; charset=utf-8")),
      HttpRouter.add("GET", `${consolePath}/console.css`, file(style, "text/css; charset=utf-8")),
      HttpRouter.add(
        "GET",
        sessionPath,
        Effect.gen(function* () {
          const found = yield* currentSession
          if (found === undefined) return refusedResponse()
          return json(200, sessionView(found.session, keyActor(found.record).name), { "cache-control": "no-store" })
        }).pipe(Effect.orDie)
      ),
      HttpRouter.add(
        "POST",
        sessionPath,
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
          if (type !== "application/json") {
            return envelope(
              415,
              "unsupported media type",
              `expected Content-Type: application/json, got '${type || "none"}'`
            )
          }
          const body = yield* Effect.option(request.json)
          const presented = Option.match(body, {
            onNone: () => undefined,
            onSome: (value) =>
              typeof value === "object" &&
              value !== null &&
              typeof (value as { adminKey?: unknown }).adminKey === "string"
                ? (value as { adminKey: string }).adminKey
                : undefined
          })
          if (presented === undefined) {
            return envelope(400, "invalid request", 'body: expected {"adminKey": "posa_..."}')
          }
          const found = yield* authenticateAdmin(presented.trim()).pipe(
            Effect.provideService(KeySecrets, secrets),
            Effect.provideService(AdminKeys, adminKeys),
            Effect.catchTag("InvalidApiKey", () => Effect.succeed(undefined))
          )
          if (found === undefined) return refusedResponse()
          const issued = sessions.issue(found.record.id, yield* Clock.currentTimeMillis)
          yield* Effect.logInfo("console sign-in", { actor: found.actor.name })
          return json(200, sessionView(issued.session, found.actor.name), {
            "set-cookie": setCookie(request, issued.cookie, SESSION_TTL_MS / 1000),
            "cache-control": "no-store"
          })
        }).pipe(Effect.orDie)
      ),
      HttpRouter.add(
        "DELETE",
        sessionPath,
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const found = yield* currentSession
          if (found === undefined) return refusedResponse()
          if (!sessions.csrfMatches(found.session, request.headers[csrfHeader] ?? "")) {
            return envelope(403, "forbidden", `signing out needs this session's CSRF token in ${csrfHeader}`)
          }
          return HttpServerResponse.empty({ status: 204, headers: { "set-cookie": setCookie(request, "", 0) } })
        }).pipe(Effect.orDie)
      )
    )
  })
)
