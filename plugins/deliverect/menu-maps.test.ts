import { decodePayload } from "@pos-integration/sdk"
import { Effect, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import menuAsync from "./fixtures/menu-async.json" with { type: "json" }
import menuSync from "./fixtures/menu-sync.json" with { type: "json" }
import { menuMapNames } from "./src/menu-maps.ts"
import { decodeMenuPush } from "./src/menu-push.ts"
import { AsyncMenuPush, SyncMenuPush } from "./src/menu-schema.ts"
import { edited } from "./test-helpers.ts"

/**
 * The maps of a menu are checked by plain code rather than by Schema.Record (menu-maps.ts). Whatever
 * the payload, the outcome must be the full schema's: the same menus, or the same issues.
 */
const viaSchema = (payload: unknown) =>
  Effect.runPromise(
    Effect.result(
      Array.isArray(payload)
        ? Effect.map(decodePayload(SyncMenuPush)(payload), (menus) => menus)
        : Effect.map(decodePayload(AsyncMenuPush)(payload), ({ body }) => body.menus)
    )
  )

const viaPlugin = (payload: unknown) =>
  Effect.runPromise(Effect.result(Effect.map(decodeMenuPush(payload), (push) => push.menus.map(({ menu }) => menu))))

const sameOutcome = async (payload: unknown) => {
  const expected = await viaSchema(payload)
  const actual = await viaPlugin(payload)
  if (Result.isSuccess(expected)) {
    // The plugin may add its own rules on top (an empty push, a missing channelLinkId): then it rejects.
    // Its menus keep the items as they came, undeclared fields too: the schema drops those, and must
    // accept the menus as they are.
    if (Result.isSuccess(actual)) {
      const reDecoded = await Effect.runPromise(Effect.result(decodePayload(SyncMenuPush)(actual.success)))
      expect(reDecoded).toEqual(Result.succeed(expected.success))
    }
  } else {
    expect(Result.isFailure(actual)).toBe(true)
    if (Result.isFailure(actual)) expect(actual.failure.issues).toEqual(expected.failure.issues)
  }
}

/** Every place inside the menus' maps of items, as a path into the payload. */
const mapPaths = (payload: unknown, menusAt: ReadonlyArray<string | number>) => {
  const paths: Array<ReadonlyArray<string | number>> = []
  const walk = (value: unknown, path: ReadonlyArray<string | number>) => {
    paths.push(path)
    if (typeof value !== "object" || value === null) return
    for (const [key, child] of Object.entries(value)) walk(child, [...path, Array.isArray(value) ? Number(key) : key])
  }
  let menus = payload as Record<string | number, unknown>
  for (const key of menusAt) menus = menus[key] as Record<string | number, unknown>
  ;(menus as unknown as ReadonlyArray<Record<string, unknown>>).forEach((menu, index) => {
    for (const name of menuMapNames) walk(menu[name], [...menusAt, index, name])
  })
  return paths
}

describe("the menu maps' plain checks decode as the schema does", () => {
  for (const [name, payload, menusAt] of [
    ["synchronous", menuSync, []],
    ["asynchronous", menuAsync, ["body", "menus"]]
  ] as const) {
    it(`a ${name} push as it is`, () => sameOutcome(payload))

    it(`a ${name} push with one place in a map replaced by any JSON or removed`, async () => {
      const paths = mapPaths(payload, menusAt)
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) =>
          sameOutcome(edited(payload, path, value))
        ),
        { numRuns: 500 }
      )
    })

    it(`a ${name} push with one place in a map replaced by a near miss`, async () => {
      const paths = mapPaths(payload, menusAt)
      const nearMiss = fc.constantFrom<unknown>(
        -1,
        0,
        1.5,
        2 ** 53,
        Number.NaN,
        "",
        "x",
        null,
        true,
        [],
        [""],
        ["x", 1],
        {},
        Object.create(null),
        new Date(0),
        undefined
      )
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), nearMiss, (path, value) => {
          const copy = edited(payload, path, 0)
          // `edited` removes a key for undefined: set it explicitly, as a present key.
          let node = copy as Record<string | number, unknown>
          for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
          if (path.length > 0) node[path[path.length - 1]!] = value
          return sameOutcome(path.length > 0 ? copy : value)
        }),
        { numRuns: 500 }
      )
    })
  }

  it("a map key such as __proto__ or constructor is an item like any other", () =>
    sameOutcome(
      JSON.parse(
        JSON.stringify(menuSync).replace(
          '"modifiers":{',
          '"modifiers":{"__proto__":{"name":"p","plu":"P","price":1},"constructor":{"name":"c","plu":"C","price":2},'
        )
      )
    ))
})
