import type { CatalogContext, CatalogSnapshot, PayloadRejected, SectionSnapshot } from "@pos-integration/sdk"
import { Effect, Result } from "effect"

export const noContext: CatalogContext = { externalOutletId: null, currency: null }

/**
 * Runs an effect to its typed outcome. A defect (or a thrown exception) rejects the promise, so a
 * test using this fails on one: decoders must fail with typed errors only.
 */
export const outcome = <A, E>(effect: Effect.Effect<A, E>): Promise<Result.Result<A, E>> =>
  Effect.runPromise(Effect.result(effect))

export const succeeded = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const result = await outcome(effect)
  if (Result.isFailure(result)) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`)
  return result.success
}

export const failed = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const result = await outcome(effect)
  if (Result.isSuccess(result)) throw new Error(`expected failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

/** The issues of a PayloadRejected, for `toContainEqual` on a path and a message fragment. */
export const issuesOf = (error: unknown): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  const rejected = error as PayloadRejected
  if (rejected._tag !== "PayloadRejected") throw new Error(`expected PayloadRejected, got ${JSON.stringify(error)}`)
  return rejected.issues
}

/** A deep copy of a fixture whose value at `path` is replaced (or removed when `value` is undefined). */
export const edited = (payload: unknown, path: ReadonlyArray<string | number>, value?: unknown): unknown => {
  const copy = structuredClone(payload) as unknown
  let node = copy as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (value === undefined) delete node[last]
  else node[last] = value
  return copy
}

const allSections = (sections: ReadonlyArray<SectionSnapshot>): Array<SectionSnapshot> =>
  sections.flatMap((section) => [section, ...allSections(section.subSections)])

const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const clock = /^(?:[01]\d|2[0-3]):[0-5]\d$/

/** The canonical invariants every snapshot keeps; the broken ones, empty when none. */
export const brokenInvariants = (snapshot: CatalogSnapshot): Array<string> => {
  const broken: Array<string> = []
  const uniqueIds = (kind: string, ids: ReadonlyArray<string>) => {
    if (new Set(ids).size !== ids.length) broken.push(`${kind} ids are not unique`)
  }
  uniqueIds(
    "product",
    snapshot.products.map((p) => p.externalId)
  )
  uniqueIds(
    "group",
    snapshot.modifierGroups.map((g) => g.externalId)
  )
  uniqueIds(
    "option",
    snapshot.modifierOptions.map((o) => o.externalId)
  )
  uniqueIds(
    "menu",
    snapshot.menus.map((m) => m.externalId)
  )
  const price = (what: string, value: number) => {
    if (!Number.isSafeInteger(value) || value < 0) broken.push(`${what} price ${value} is not a non-negative integer`)
  }
  const snooze = (what: string, value: string | null) => {
    if (value !== null && !isoMillis.test(value))
      broken.push(`${what} snoozedUntil ${value} is not ISO UTC with milliseconds`)
  }
  const groupIds = new Set(snapshot.modifierGroups.map((g) => g.externalId))
  const optionIds = new Set(snapshot.modifierOptions.map((o) => o.externalId))
  const productIds = new Set(snapshot.products.map((p) => p.externalId))
  for (const product of snapshot.products) {
    price(`product ${product.externalId}`, product.price)
    snooze(`product ${product.externalId}`, product.snoozedUntil)
    if (product.taxRateBps !== null && (!Number.isInteger(product.taxRateBps) || product.taxRateBps < 0)) {
      broken.push(`product ${product.externalId} tax rate ${product.taxRateBps}`)
    }
    for (const id of product.modifierGroupIds)
      if (!groupIds.has(id)) broken.push(`product ${product.externalId} names missing group ${id}`)
  }
  for (const group of snapshot.modifierGroups) {
    const { min, max, maxPerOption } = group
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && min <= max)) {
      broken.push(`group ${group.externalId} has min ${min} max ${max}`)
    }
    if (!Number.isInteger(maxPerOption) || maxPerOption < 1)
      broken.push(`group ${group.externalId} maxPerOption ${maxPerOption}`)
    for (const id of group.optionIds)
      if (!optionIds.has(id)) broken.push(`group ${group.externalId} names missing option ${id}`)
  }
  for (const option of snapshot.modifierOptions) {
    price(`option ${option.externalId}`, option.price)
    snooze(`option ${option.externalId}`, option.snoozedUntil)
  }
  for (const menu of snapshot.menus) {
    for (const window of menu.availabilities) {
      if (window.dayOfWeek < 1 || window.dayOfWeek > 7 || !clock.test(window.opens) || !clock.test(window.closes)) {
        broken.push(`menu ${menu.externalId} window ${JSON.stringify(window)}`)
      }
    }
    for (const section of menu.sections) {
      for (const sub of section.subSections)
        if (sub.subSections.length > 0) broken.push(`section ${sub.externalId} nests deeper than two levels`)
    }
    for (const section of allSections(menu.sections)) {
      for (const id of section.productIds)
        if (!productIds.has(id)) broken.push(`section ${section.externalId} names missing product ${id}`)
    }
  }
  return broken
}
