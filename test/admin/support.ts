import { Effect } from "effect"
import { expect } from "vitest"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { simulatedPeerHeader } from "../http/support/echo-group.ts"
import { jsonHeaders, send } from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"

export const adminPrefix = "/admin/api/v1"

/** The first admin key, made as `npm run admin -- admin-key issue` makes it. */
export const firstAdminKey = (app: TestApp, name = "ops") =>
  app.runtime.runPromise(
    issueAdminKey({ name, expiresAt: null, createdBy: "admin CLI" }).pipe(
      Effect.map((issued) => issued.plaintext),
      Effect.orDie
    )
  )

/**
 * Calls of the admin API on the in-process app, as an operator behind a loopback proxy
 * (`X-Forwarded-For: 203.0.113.9`, the address the audit log records), with the key `key()` gives.
 */
export const adminCalls = (app: () => TestApp, key: () => string) => {
  const call = (method: string, path: string, body?: unknown, init: { key?: string; host?: string } = {}) =>
    send(app(), `${adminPrefix}${path}`, {
      method,
      host: init.host ?? "localhost",
      key: init.key ?? key(),
      headers: {
        ...(body === undefined ? {} : jsonHeaders),
        [simulatedPeerHeader]: "127.0.0.1",
        "x-forwarded-for": "203.0.113.9"
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  /** The answer's JSON, after checking its status (the body is shown when it differs). */
  const json = async <T = Record<string, unknown>>(response: Response, status: number): Promise<T> => {
    const text = await response.text()
    expect({ status: response.status, text }).toMatchObject({ status })
    return JSON.parse(text) as T
  }
  return { call, json }
}
