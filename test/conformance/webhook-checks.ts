import {
  makeWebhookRequest,
  type PosEvent,
  type PosPlugin,
  UNTIL_FURTHER_NOTICE,
  type WebhookRequest,
  type WebhookSubject
} from "@pos-integration/sdk"
import * as fc from "fast-check"
import { expect } from "vitest"
import { type CredentialSchemas, forgedCredentials, sameShape } from "./canary.ts"
import type { ConformanceFixtures, WebhookFixture } from "./fixtures.ts"
import { expectFailure, expectSuccess, expectValueOrTyped, outcome, safeJson } from "./run.ts"

export const schemasOf = <Outlet, Account>(plugin: PosPlugin<Outlet, Account>): CredentialSchemas => ({
  outlet: plugin.credentials.outlet,
  account: plugin.credentials.account
})

/** The URL a webhook of this provider is served on, as fixtures and junk requests use. */
export const webhookUrl = (provider: string): string => `https://acme.pos.example/api/v1/pos/${provider}/webhooks`

/** The same request on another URL (the method, headers and body kept). */
export const withUrl = (request: WebhookRequest, url: string): WebhookRequest =>
  makeWebhookRequest({ url, method: request.method, headers: request.headers, body: request.body })

/** The request's URL with a query parameter added, and with the path under a base path, as a proxy may serve it. */
export const otherUrls = (request: WebhookRequest): ReadonlyArray<{ readonly what: string; readonly url: string }> => {
  const added = new URL(request.url)
  added.searchParams.append("conformance", "1")
  const prefixed = new URL(request.url)
  prefixed.pathname = `/service/pos-integration${prefixed.pathname}`
  return [
    { what: "a query parameter added", url: added.href },
    { what: "the path under a base path", url: prefixed.href }
  ]
}

const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/
const statuses = new Set([
  "RECEIVED",
  "SUBMITTED",
  "ACCEPTED",
  "PREPARING",
  "READY",
  "IN_DELIVERY",
  "COMPLETED",
  "CANCELLED",
  "REJECTED",
  "FAILED"
])
const isInstant = (value: string) => instant.test(value) && !Number.isNaN(Date.parse(value))
const nonEmpty = (value: unknown) => typeof value === "string" && value !== ""

/** What is wrong with decoded events: each a plain sentence; empty when they hold the SDK's rules. */
export const eventIssues = (events: ReadonlyArray<PosEvent>): ReadonlyArray<string> => {
  const issues: Array<string> = []
  events.forEach((event, index) => {
    const at = `event ${index} (${event._tag})`
    switch (event._tag) {
      case "OrderStatusChanged":
        if (event.status !== null && !statuses.has(event.status)) issues.push(`${at}: unknown status ${event.status}`)
        if (typeof event.vendorStatus !== "string") issues.push(`${at}: vendorStatus is not a string`)
        if (event.at !== null && !isInstant(event.at))
          issues.push(`${at}: at is not an ISO 8601 UTC instant: ${event.at}`)
        break
      case "ItemsSnoozed":
        if (!nonEmpty(event.externalOutletId)) issues.push(`${at}: empty externalOutletId`)
        for (const item of event.items) {
          if (!nonEmpty(item.posCode)) issues.push(`${at}: an item with an empty posCode`)
          if (item.until !== null && item.until !== UNTIL_FURTHER_NOTICE && !isInstant(item.until)) {
            issues.push(
              `${at}: ${item.posCode} until ${item.until}: not an ISO 8601 UTC instant nor UNTIL_FURTHER_NOTICE`
            )
          }
        }
        break
      case "BusyModeChanged":
        if (!nonEmpty(event.externalOutletId)) issues.push(`${at}: empty externalOutletId`)
        if (!["ONLINE", "BUSY", "PAUSED"].includes(event.mode)) issues.push(`${at}: unknown mode ${event.mode}`)
        break
      case "MenuChanged":
        if (event.externalOutletId !== null && !nonEmpty(event.externalOutletId))
          issues.push(`${at}: empty externalOutletId`)
        if (event.accountId !== null && !nonEmpty(event.accountId)) issues.push(`${at}: empty accountId`)
        break
      default:
        issues.push(`event ${index}: unknown tag ${safeJson(event)}`)
    }
  })
  return issues
}

export const subjectIssues = (subject: WebhookSubject): ReadonlyArray<string> => {
  if (subject._tag === "Outlet") return nonEmpty(subject.externalOutletId) ? [] : ["an Outlet subject with no id"]
  if (subject._tag === "Account") return nonEmpty(subject.accountId) ? [] : ["an Account subject with no id"]
  return [`not a WebhookSubject: ${safeJson(subject)}`]
}

/** An authentic webhook: a subject, verified with its credentials, decoded to its events, deterministically. */
export const checkAuthenticWebhook = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: WebhookFixture<Outlet, Account>
) => {
  // A request as the service builds it: its path and query are those of its URL.
  const rebuilt = withUrl(fixture.request, fixture.request.url)
  expect({ path: fixture.request.path, query: fixture.request.query }, "the fixture request's path and query").toEqual({
    path: rebuilt.path,
    query: rebuilt.query
  })
  const subject = expectSuccess(await outcome(() => plugin.webhookOutlet(fixture.request)), "webhookOutlet")
  expect(subjectIssues(subject)).toEqual([])
  if (fixture.subject !== undefined) expect(subject, "webhookOutlet's subject").toEqual(fixture.subject)
  expectSuccess(
    await outcome(() => plugin.verifyWebhook(fixture.request, fixture.credentials)),
    "verifyWebhook with the fixture's credentials"
  )
  const events = expectSuccess(await outcome(() => plugin.decodeWebhook(fixture.request)), "decodeWebhook")
  expect(events.length, "number of events").toBe(fixture.expectedEvents)
  expect(eventIssues(events)).toEqual([])
  expect(JSON.parse(JSON.stringify(events)), "events are plain data").toEqual(events)
  expect(expectSuccess(await outcome(() => plugin.decodeWebhook(fixture.request)), "decodeWebhook again")).toEqual(
    events
  )
}

const refused = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  request: WebhookRequest,
  fixture: WebhookFixture<Outlet, Account>,
  what: string,
  credentials = fixture.credentials
) => {
  expectFailure(await outcome(() => plugin.verifyWebhook(request, credentials)), "WebhookRejected", what)
}

const withoutQuery = (request: WebhookRequest, drop: (name: string) => boolean): WebhookRequest => {
  const url = new URL(request.url)
  for (const name of [...url.searchParams.keys()]) if (drop(name)) url.searchParams.delete(name)
  return withUrl(request, url.href)
}

/**
 * Forged credentials, a request stripped of what authenticates it, a forged header or query
 * parameter, and (for signed webhooks) a changed body are all refused with WebhookRejected.
 */
export const checkForgedWebhook = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: WebhookFixture<Outlet, Account>,
  auth: "signature" | "token"
) => {
  const forged = forgedCredentials(fixture.credentials, schemasOf(plugin))
  if (forged.changed === 0) expect.fail("the fixture's credentials hold no string the kit could forge")
  await refused(
    plugin,
    fixture.request,
    fixture,
    "the authentic request verified with forged credentials",
    forged.credentials
  )

  const contentType = Object.entries(fixture.request.headers).filter(([name]) => name.toLowerCase() === "content-type")
  const bare = withoutQuery({ ...fixture.request, headers: Object.fromEntries(contentType) }, () => true)
  await refused(plugin, bare, fixture, "the request without its headers and query")

  // Whatever carries the credential (its removal is refused), forged, is refused too.
  for (const [name, value] of Object.entries(fixture.request.headers)) {
    if (value === undefined || name.toLowerCase() === "content-type") continue
    const { [name]: _dropped, ...rest } = fixture.request.headers
    const without = await outcome(() =>
      plugin.verifyWebhook({ ...fixture.request, headers: rest }, fixture.credentials)
    )
    if (without._tag === "success") continue
    for (const wrong of [`${value}x`, sameShape(value), ""]) {
      if (wrong === value) continue
      const request = { ...fixture.request, headers: { ...fixture.request.headers, [name]: wrong } }
      await refused(plugin, request, fixture, `header ${name} forged as ${JSON.stringify(wrong)}`)
    }
  }
  for (const name of Object.keys(fixture.request.query)) {
    const without = await outcome(() =>
      plugin.verifyWebhook(
        withoutQuery(fixture.request, (n) => n === name),
        fixture.credentials
      )
    )
    if (without._tag === "success") continue
    const values = fixture.request.query[name] ?? []
    for (const value of values) {
      for (const wrong of [`${value}x`, sameShape(value)]) {
        if (wrong === value) continue
        const url = new URL(fixture.request.url)
        url.searchParams.delete(name)
        for (const v of values) url.searchParams.append(name, v === value ? wrong : v)
        await refused(
          plugin,
          withUrl(fixture.request, url.href),
          fixture,
          `query ${name} forged as ${JSON.stringify(wrong)}`
        )
      }
    }
  }

  if (auth === "signature") {
    const body = new Uint8Array(fixture.request.body)
    if (body.length > 0) {
      const middle = Math.floor(body.length / 2)
      body[middle] = body[middle]! ^ 0x01
      await refused(plugin, { ...fixture.request, body }, fixture, "a signed body with one bit changed")
    }
    const appended = new Uint8Array([...fixture.request.body, 0x20])
    await refused(plugin, { ...fixture.request, body: appended }, fixture, "a signed body with a space appended")
  }
}

/**
 * Another URL: refused when the vendor signs the URL; otherwise the same subject and events (the
 * verification is not asserted: a token in the query may rightly be lost with a changed query).
 */
export const checkWebhookUrl = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: WebhookFixture<Outlet, Account>
) => {
  const subject = expectSuccess(await outcome(() => plugin.webhookOutlet(fixture.request)), "webhookOutlet")
  const events = expectSuccess(await outcome(() => plugin.decodeWebhook(fixture.request)), "decodeWebhook")
  for (const { what, url } of otherUrls(fixture.request)) {
    const request = withUrl(fixture.request, url)
    if (fixture.signsUrl === true) {
      await refused(plugin, request, fixture, `a signed URL with ${what}`)
      continue
    }
    expect(
      expectSuccess(await outcome(() => plugin.webhookOutlet(request)), `webhookOutlet with ${what}`),
      `the subject with ${what}`
    ).toEqual(subject)
    expect(
      expectSuccess(await outcome(() => plugin.decodeWebhook(request)), `decodeWebhook with ${what}`),
      `the events with ${what}`
    ).toEqual(events)
    expectValueOrTyped(
      await outcome(() => plugin.verifyWebhook(request, fixture.credentials)),
      ["WebhookRejected"],
      `verifyWebhook with ${what}`
    )
  }
}

const encoder = new TextEncoder()

const fixedJunk: ReadonlyArray<unknown> = [
  null,
  0,
  -1,
  "",
  "junk",
  true,
  [],
  [null],
  [1, 2, 3],
  {},
  { menus: null },
  { body: "x" },
  { event: {} },
  { type: null, data: [] },
  { a: { b: { c: [] } } }
]

/** Junk requests: a JSON value, a truncated JSON text, or bytes that are not UTF-8. */
export const fixedJunkBodies: ReadonlyArray<Uint8Array> = [
  ...fixedJunk.map((value) => encoder.encode(JSON.stringify(value))),
  encoder.encode('{"truncated": ['),
  new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
  new Uint8Array()
]

/**
 * Random requests (bytes, JSON, random or vendor header names with random values, random queries
 * and paths) end in a value or a typed failure, never a defect; and with headers and a query that
 * carry no credential, verification refuses them.
 */
export const checkJunkRequests = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>,
  numRuns: number
) => {
  const credentials = fixtures.webhooks[0]?.credentials ?? fixtures.credentials
  const vendorHeaders = [...new Set(fixtures.webhooks.flatMap((w) => Object.keys(w.request.headers)))]
  const vendorQuery = [...new Set(fixtures.webhooks.flatMap((w) => Object.keys(w.request.query)))]
  const authentic = fixtures.webhooks.map((w) => w.request.body)
  const headerName = fc.oneof(
    fc.constantFrom("content-type", "authorization", "x-signature", ...vendorHeaders),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
  )
  const queryName = fc.oneof(fc.constantFrom("token", "signature", ...vendorQuery), fc.string({ maxLength: 12 }))
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => encoder.encode(JSON.stringify(v))),
    fc.constantFrom(...fixedJunkBodies),
    ...(authentic.length > 0 ? [fc.constantFrom(...authentic)] : [])
  )
  const request = fc
    .record({
      method: fc.constantFrom("POST", "GET", "PUT", "DELETE"),
      path: fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { maxLength: 3 }),
      query: fc.array(fc.tuple(queryName, fc.string({ maxLength: 40 })), { maxLength: 4 }),
      headers: fc.dictionary(headerName, fc.string({ maxLength: 120 }), { maxKeys: 6 }),
      body
    })
    .map(({ method, path, query, headers, body }) => {
      const url = new URL(webhookUrl(plugin.manifest.id))
      if (path.length > 0) url.pathname += `/${path.join("/")}`
      for (const [name, value] of query) url.searchParams.append(name, value)
      return makeWebhookRequest({ url: url.href, method, headers, body })
    })

  const junkEnds = async (junk: WebhookRequest) => {
    expectValueOrTyped(await outcome(() => plugin.webhookOutlet(junk)), ["PayloadRejected"], "webhookOutlet")
    expectValueOrTyped(await outcome(() => plugin.decodeWebhook(junk)), ["PayloadRejected"], "decodeWebhook")
    expectFailure(
      await outcome(() => plugin.verifyWebhook(junk, credentials)),
      "WebhookRejected",
      `verifyWebhook of a request with random headers (${safeJson(junk.headers)}) and query (${junk.url})`
    )
  }
  for (const junkBody of fixedJunkBodies) {
    await junkEnds(
      makeWebhookRequest({
        url: webhookUrl(plugin.manifest.id),
        headers: { "content-type": "application/json" },
        body: junkBody
      })
    )
  }
  await fc.assert(fc.asyncProperty(request, junkEnds), { numRuns })

  // The authentic headers and URL with a junk body: a value or a typed failure (a token does not protect the body).
  for (const fixture of fixtures.webhooks) {
    for (const junkBody of fixedJunkBodies) {
      const junk = { ...fixture.request, body: junkBody }
      expectValueOrTyped(await outcome(() => plugin.webhookOutlet(junk)), ["PayloadRejected"], "webhookOutlet")
      expectValueOrTyped(await outcome(() => plugin.decodeWebhook(junk)), ["PayloadRejected"], "decodeWebhook")
      expectValueOrTyped(
        await outcome(() => plugin.verifyWebhook(junk, fixture.credentials)),
        ["WebhookRejected"],
        "verifyWebhook"
      )
    }
  }
}
