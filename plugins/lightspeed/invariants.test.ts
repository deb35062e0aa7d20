import { type CatalogSnapshot, catalogIssues, type SectionSnapshot } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import { fixtures, payloads } from "./fixtures/index.ts"
import plugin from "./index.ts"
import { clone, outcome, prng, succeed } from "./test-support.ts"

const unique = (ids: ReadonlyArray<string>) => new Set(ids).size === ids.length

const sectionsOf = (sections: ReadonlyArray<SectionSnapshot>): ReadonlyArray<SectionSnapshot> =>
  sections.flatMap((s) => [s, ...sectionsOf(s.subSections)])

/**
 * The canonical invariants (the SDK's catalogIssues, which the core checks on every sync) and what
 * this plugin promises beyond them: tax rates are parts per million, every option has a code, and no list
 * repeats an id. As a list of violations.
 */
const violations = (snapshot: CatalogSnapshot): ReadonlyArray<string> => {
  const problems = catalogIssues(snapshot).map((issue) => `${issue.path}: ${issue.message}`)
  for (const p of snapshot.products) {
    if (p.taxRatePpm !== null && !(Number.isSafeInteger(p.taxRatePpm) && p.taxRatePpm >= 0))
      problems.push(`product ${p.externalId} tax ${p.taxRatePpm}`)
    if (!unique(p.modifierGroupIds)) problems.push(`product ${p.externalId} repeats a group`)
  }
  for (const g of snapshot.modifierGroups) {
    if (!unique(g.optionIds)) problems.push(`group ${g.externalId} repeats an option`)
  }
  for (const o of snapshot.modifierOptions) {
    if (o.posCode.length === 0) problems.push(`option ${o.externalId} has no posCode`)
  }
  for (const menu of snapshot.menus) {
    for (const section of sectionsOf(menu.sections)) {
      if (!unique(section.productIds)) problems.push(`section ${section.externalId} repeats a product`)
    }
  }
  return problems
}

describe("canonical invariants", () => {
  it("hold for every catalog fixture", async () => {
    for (const fixture of fixtures.catalogs) {
      expect(violations(await succeed(plugin.decodeCatalog(fixture.payload, fixture.context)))).toEqual([])
    }
  })

  it("hold for every mutated menu that still decodes (seeded, 800 cases)", async () => {
    const random = prng(42)
    const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
    // Duplicates and reorderings stress the deduplication; value changes stress the conflict checks.
    const mutate = (value: unknown, depth: number): unknown => {
      if (Array.isArray(value)) {
        const copy = [...value]
        const roll = random()
        if (copy.length > 0 && roll < 0.3) copy.push(clone(pick(copy)))
        else if (copy.length > 1 && roll < 0.45) copy.reverse()
        else if (copy.length > 0) {
          const index = Math.floor(random() * copy.length)
          copy[index] = mutate(copy[index], depth + 1)
        }
        return copy
      }
      if (value !== null && typeof value === "object") {
        const copy = { ...(value as Record<string, unknown>) }
        const key = pick(Object.keys(copy))
        copy[key] =
          depth > 8 || random() < 0.1
            ? pick([0, 1.25, "7", 236025632784490, "25", false])
            : mutate(copy[key], depth + 1)
        return copy
      }
      return value
    }
    let decoded = 0
    for (let i = 0; i < 800; i++) {
      const fixture = pick(fixtures.catalogs)
      const result = await outcome(() => plugin.decodeCatalog(mutate(mutate(fixture.payload, 0), 0), fixture.context))
      expect(result._tag).not.toBe("defect")
      if (result._tag === "success") {
        decoded++
        expect(violations(result.value)).toEqual([])
      }
    }
    // The mutations must not all be refusals, or this test would prove nothing.
    expect(decoded).toBeGreaterThan(100)
  })

  it("identical duplicates appear once", async () => {
    const menu = clone(payloads.menuAllDay) as { menuEntryGroups: Array<unknown> }
    menu.menuEntryGroups.push(clone(menu.menuEntryGroups[0]))
    const snapshot = await succeed(plugin.decodeCatalog(menu, fixtures.catalogs[0]!.context))
    expect(snapshot.products).toHaveLength(10)
    expect(snapshot.modifierGroups).toHaveLength(6)
    expect(snapshot.modifierOptions).toHaveLength(22)
    // The screen listed twice stands there once: two sections under one id would break the menu.
    expect(snapshot.menus[0]?.sections.map((s) => s.externalId)).toEqual(
      payloads.menuAllDay.menuEntryGroups.map((g) => String(g.id))
    )
    expect(violations(snapshot)).toEqual([])
  })
})
