import type { CatalogContext, CatalogSnapshot, PayloadRejected } from "@pos-integration/sdk"
import { Cause, Effect, Exit } from "effect"

/** Helpers for this plugin's tests (no test-runner imports here: see test/architecture). */

export const noContext: CatalogContext = { externalOutletId: null, currency: null }

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** The typed failure of an effect expected to fail; a success or a defect rejects the promise. */
export const failure = <A, E>(effect: Effect.Effect<A, E>): Promise<E> => Effect.runPromise(Effect.flip(effect))

export const pathsOf = (rejected: PayloadRejected): ReadonlyArray<string> => rejected.issues.map((issue) => issue.path)

/**
 * How an effect ended, for junk inputs: "success", the typed error's tag, or "defect" (a throw or a
 * die), which a decoder must never produce.
 */
export const outcome = async <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>): Promise<string> => {
  const exit = await Effect.runPromiseExit(Effect.suspend(() => effect)).catch(() => undefined)
  if (exit === undefined) return "defect"
  if (Exit.isSuccess(exit)) return "success"
  if (Cause.hasDies(exit.cause)) return "defect"
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? error.value._tag : "defect"
}

/** A deep copy of a JSON fixture, to edit into a variant. */
export const copy = <T>(value: T): T => structuredClone(value)

/** The canonical invariants every catalog must keep; answers the violations found. */
export const invariantViolations = (catalog: CatalogSnapshot): ReadonlyArray<string> => {
  const violations: Array<string> = []
  const uniqueIds = (kind: string, ids: ReadonlyArray<string>) => {
    if (new Set(ids).size !== ids.length) violations.push(`${kind}: duplicate external ids`)
  }
  const price = (what: string, value: number) => {
    if (!Number.isSafeInteger(value) || value < 0) violations.push(`${what}: price ${value}`)
  }
  uniqueIds(
    "products",
    catalog.products.map((p) => p.externalId)
  )
  uniqueIds(
    "modifierGroups",
    catalog.modifierGroups.map((g) => g.externalId)
  )
  uniqueIds(
    "modifierOptions",
    catalog.modifierOptions.map((o) => o.externalId)
  )
  uniqueIds(
    "menus",
    catalog.menus.map((m) => m.externalId)
  )
  const groupIds = new Set(catalog.modifierGroups.map((g) => g.externalId))
  const optionIds = new Set(catalog.modifierOptions.map((o) => o.externalId))
  const productIds = new Set(catalog.products.map((p) => p.externalId))
  for (const product of catalog.products) {
    price(`product ${product.externalId}`, product.price)
    for (const id of product.modifierGroupIds) {
      if (!groupIds.has(id)) violations.push(`product ${product.externalId}: unknown group ${id}`)
    }
  }
  for (const group of catalog.modifierGroups) {
    const { min, max, maxPerOption } = group
    if (!(Number.isInteger(min) && Number.isInteger(max) && 0 <= min && min <= max)) {
      violations.push(`group ${group.externalId}: min ${min} max ${max}`)
    }
    if (!(Number.isInteger(maxPerOption) && maxPerOption >= 1)) {
      violations.push(`group ${group.externalId}: maxPerOption ${maxPerOption}`)
    }
    for (const id of group.optionIds) {
      if (!optionIds.has(id)) violations.push(`group ${group.externalId}: unknown option ${id}`)
    }
  }
  for (const option of catalog.modifierOptions) price(`option ${option.externalId}`, option.price)
  const visit = (section: CatalogSnapshot["menus"][number]["sections"][number]) => {
    for (const id of section.productIds) {
      if (!productIds.has(id)) violations.push(`section ${section.externalId}: unknown product ${id}`)
    }
    section.subSections.forEach(visit)
  }
  for (const menu of catalog.menus) menu.sections.forEach(visit)
  return violations
}
