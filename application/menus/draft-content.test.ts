import { describe, expect, it } from "vitest"
import {
  emptyContent,
  patchSection,
  sameContent,
  withFields,
  withItems,
  withoutSection,
  withSection
} from "./draft-content.ts"

const names = (content: ReturnType<typeof emptyContent>) => content.sections.map((s) => s.name)

describe("draft edits", () => {
  const base = [
    ["a", 20],
    ["b", 10],
    ["c", 20],
    ["d", 10]
  ] as const
  const content = base.reduce(
    (c, [name, position]) => withSection(c, `sec_${name}`, { name, displayType: "LIST", position }),
    emptyContent("Menu", null)
  )

  it("keep sections in position order, equal positions in the order they came", () => {
    expect(names(content)).toEqual(["b", "d", "a", "c"])
    expect(names(patchSection(content, "sec_c", { position: 10 })!)).toEqual(["b", "d", "c", "a"])
    expect(names(patchSection(content, "sec_b", { position: 10, name: "B" })!)).toEqual(["B", "d", "a", "c"])
  })

  it("change one section only, keep its items, and answer undefined for a section the draft lacks", () => {
    const items = [
      { productId: "p2", position: 2, basePrice: null, specialPrice: null },
      { productId: "p1", position: 1, basePrice: 300, specialPrice: 250 }
    ]
    const withList = withItems(content, "sec_a", items)!
    expect(withList.sections.find((s) => s.sectionId === "sec_a")!.items.map((i) => i.productId)).toEqual(["p1", "p2"])
    const moved = patchSection(withList, "sec_a", { displayType: "GRID" })!
    expect(moved.sections.find((s) => s.sectionId === "sec_a")).toMatchObject({ displayType: "GRID", position: 20 })
    expect(moved.sections.find((s) => s.sectionId === "sec_a")!.items).toHaveLength(2)
    expect(names(withoutSection(moved, "sec_d")!)).toEqual(["b", "a", "c"])
    for (const edit of [
      patchSection(content, "sec_x", { name: "x" }),
      withoutSection(content, "sec_x"),
      withItems(content, "sec_x", [])
    ]) {
      expect(edit).toBeUndefined()
    }
  })

  it("tell a change from none, whatever the order of keys", () => {
    expect(sameContent(withFields(content, { name: "Menu" }), content)).toBe(true)
    expect(sameContent(withFields(content, { description: "new" }), content)).toBe(false)
    const reordered = JSON.parse(JSON.stringify(content, Object.keys(content).reverse())) as typeof content
    expect(sameContent({ ...reordered, sections: content.sections }, content)).toBe(true)
  })
})
