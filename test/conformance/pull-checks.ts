import {
  type CatalogSnapshot,
  catalogIssues,
  type OutletSnapshot,
  outletIssues,
  type PosCredentials,
  type PosPlugin,
  type PosPull
} from "@pos-integration/sdk"
import { Schema } from "effect"
import { expect } from "vitest"
import { testCallContext } from "./call-context.ts"
import type { PullFixture } from "./fixtures.ts"
import { expectFailure, expectSuccess, type Outcome, outcome } from "./run.ts"

const pullOf = <Outlet, Account>(plugin: PosPlugin<Outlet, Account>): PosPull<Outlet, Account> => {
  if (plugin.pull === undefined) return expect.fail("the plugin has no pull functions")
  return plugin.pull
}

/** Runs a check against a fresh fake server of the fixture's, closing it whatever happens. */
const withServer = async <A>(fixture: PullFixture<unknown, unknown>, use: (url: string) => Promise<A>): Promise<A> => {
  const server = await fixture.start()
  try {
    return await use(server.url)
  } finally {
    await server.close()
  }
}

const pullBoth = async <Outlet, Account>(
  pull: PosPull<Outlet, Account>,
  fixture: PullFixture<Outlet, Account>,
  credentials: PosCredentials<Outlet, Account>
) => {
  const context = testCallContext({ credentials, accountId: fixture.accountId })
  const outlets = await outcome(() => pull.fetchOutlets(context))
  const catalog = await outcome(() =>
    pull.fetchCatalog(fixture.catalogOutlet, { ...context, outlet: fixture.catalogOutlet })
  )
  return { outlets, catalog, stored: context.stored() }
}

const checkOutlets = (outlets: ReadonlyArray<OutletSnapshot>, fixture: PullFixture<unknown, unknown>) => {
  expect([...new Set(outlets.map((o) => o.externalId))].sort(), "the pulled outlets' ids").toEqual(
    [...fixture.expectedOutletIds].sort()
  )
  expect(outletIssues(outlets)).toEqual([])
  for (const outlet of outlets) {
    if (fixture.accountId !== null && outlet.accountId !== null) {
      expect(outlet.accountId, `outlet ${outlet.externalId}'s account`).toBe(fixture.accountId)
    }
  }
  expect(JSON.parse(JSON.stringify(outlets)), "outlets are plain data").toEqual(outlets)
}

const checkCatalog = (catalog: CatalogSnapshot, fixture: PullFixture<unknown, unknown>) => {
  expect(catalogIssues(catalog)).toEqual([])
  expect({
    products: catalog.products.length,
    modifierGroups: catalog.modifierGroups.length,
    modifierOptions: catalog.modifierOptions.length,
    menus: catalog.menus.length
  }).toEqual(fixture.expected)
  if (catalog.outletIds.length > 0) {
    expect(catalog.outletIds, "the pulled catalog's outlets name the outlet pulled").toContain(
      fixture.catalogOutlet.externalId
    )
  }
  expect(JSON.parse(JSON.stringify(catalog)), "the catalog is plain data").toEqual(catalog)
}

/** Stored credentials after a pull (rotated ones too) still satisfy the plugin's Schemas. */
const checkStored = <Outlet, Account>(plugin: PosPlugin<Outlet, Account>, stored: PosCredentials<Outlet, Account>) => {
  expect(Schema.is(plugin.credentials.outlet as Schema.Top)(stored.outlet), "stored outlet credentials").toBe(
    stored.outlet !== null
  )
  if (plugin.credentials.account !== null && stored.account !== null) {
    expect(Schema.is(plugin.credentials.account as Schema.Top)(stored.account), "stored account credentials").toBe(true)
  }
}

/**
 * Outlets and a catalog pulled from the fake server: the expected ids and counts, the canonical
 * invariants, plain data; pulled again (with what the vault then holds) to the same answers, and
 * twice at once on one vault to the same answers too.
 */
export const checkPull = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: PullFixture<Outlet, Account>
) => {
  const pull = pullOf(plugin)
  await withServer(fixture as PullFixture<unknown, unknown>, async (url) => {
    const first = await pullBoth(pull, fixture, fixture.credentials(url))
    const outlets = expectSuccess(first.outlets, "fetchOutlets")
    const catalog = expectSuccess(first.catalog, "fetchCatalog")
    checkOutlets(outlets, fixture as PullFixture<unknown, unknown>)
    checkCatalog(catalog, fixture as PullFixture<unknown, unknown>)
    checkStored(plugin, first.stored)

    const second = await pullBoth(pull, fixture, first.stored)
    expect(expectSuccess(second.outlets, "fetchOutlets again"), "a second pull of the outlets").toEqual(outlets)
    expect(expectSuccess(second.catalog, "fetchCatalog again"), "a second pull of the catalog").toEqual(catalog)
    checkStored(plugin, second.stored)

    // Two pulls at once on one context: a rotation (a single-use refresh token) must go through the vault.
    const shared = testCallContext({ credentials: second.stored, accountId: fixture.accountId })
    const [a, b] = await Promise.all([
      outcome(() => pull.fetchOutlets(shared)),
      outcome(() => pull.fetchOutlets(shared))
    ])
    expect(expectSuccess(a, "one of two concurrent pulls"), "concurrent pulls").toEqual(outlets)
    expect(expectSuccess(b, "the other of two concurrent pulls"), "concurrent pulls").toEqual(outlets)
    checkStored(plugin, shared.stored())
  })
}

const missingOrSame = <A>(result: Outcome<A, unknown>, full: A, level: "outlet" | "account", what: string) => {
  if (result._tag === "success") {
    expect(result.value, `${what}: without the ${level} credentials, the same answer or MissingCredentials`).toEqual(
      full
    )
    return
  }
  const error = expectFailure(result, "MissingCredentials", `${what} without the ${level} credentials`) as {
    level: string
  }
  expect(error.level, `${what}: the level MissingCredentials names`).toBe(level)
}

/**
 * Without credentials, a pull fails with MissingCredentials (typed, before any call). Without one
 * level, it either does not need that level (the same answer) or fails with MissingCredentials
 * naming it.
 */
export const checkPullWithoutCredentials = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: PullFixture<Outlet, Account>
) => {
  const pull = pullOf(plugin)
  await withServer(fixture as PullFixture<unknown, unknown>, async (url) => {
    const credentials = fixture.credentials(url)
    const none = await pullBoth(pull, fixture, { outlet: null, account: null })
    expectFailure(none.outlets, "MissingCredentials", "fetchOutlets without credentials")
    expectFailure(none.catalog, "MissingCredentials", "fetchCatalog without credentials")
    const full = await pullBoth(pull, fixture, credentials)
    const outlets = expectSuccess(full.outlets, "fetchOutlets")
    const catalog = expectSuccess(full.catalog, "fetchCatalog")
    for (const level of ["outlet", "account"] as const) {
      if (credentials[level] === null) continue
      const partial = await pullBoth(pull, fixture, { ...full.stored, [level]: null })
      missingOrSame(partial.outlets, outlets, level, "fetchOutlets")
      missingOrSame(partial.catalog, catalog, level, "fetchCatalog")
    }
  })
}

/** A pull from a server that is gone (its port closed) fails with PosUnavailable, not a defect. */
export const checkPullDeadServer = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: PullFixture<Outlet, Account>
) => {
  const pull = pullOf(plugin)
  const server = await fixture.start()
  const url = server.url
  await server.close()
  const result = await pullBoth(pull, fixture, fixture.credentials(url))
  expectFailure(result.outlets, "PosUnavailable", `fetchOutlets from a closed port (${url})`)
  expectFailure(result.catalog, "PosUnavailable", `fetchCatalog from a closed port (${url})`)
}
