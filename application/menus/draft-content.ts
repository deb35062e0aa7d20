/**
 * The edits a menu editor makes to a draft, as plain functions from content to content: each write
 * reads the draft, applies one of these, and stores the result under the version it read. Sections
 * and items are kept in display order (by position; equal positions keep the order they were given).
 */
import { canonicalJson } from "../../domain/canonical-json.ts"
import type { DisplayType, MenuContent, MenuHours, MenuItem, MenuSection } from "../../domain/menu.ts"

export interface DraftFields {
  readonly name?: string
  readonly description?: string | null
}

export interface SectionFields {
  readonly name: string
  readonly displayType: DisplayType
  readonly position: number
}

export type SectionPatch = Partial<SectionFields>

export const emptyContent = (name: string, description: string | null): MenuContent => ({
  name,
  description,
  sections: [],
  hours: null,
  storeIds: []
})

/** Array.prototype.sort is stable: ties keep the order given. */
const byPosition = <A extends { readonly position: number }>(list: ReadonlyArray<A>): ReadonlyArray<A> =>
  [...list].sort((a, b) => a.position - b.position)

export const withFields = (content: MenuContent, fields: DraftFields): MenuContent => ({
  ...content,
  ...(fields.name === undefined ? {} : { name: fields.name }),
  ...(fields.description === undefined ? {} : { description: fields.description })
})

export const withSection = (content: MenuContent, sectionId: string, fields: SectionFields): MenuContent => ({
  ...content,
  sections: byPosition([...content.sections, { sectionId, ...fields, items: [] }])
})

/** The content with one section changed by `change`; undefined when the draft has no such section. */
const changingSection = (
  content: MenuContent,
  sectionId: string,
  change: (section: MenuSection) => MenuSection | null
): MenuContent | undefined => {
  const index = content.sections.findIndex((s) => s.sectionId === sectionId)
  if (index < 0) return undefined
  const changed = change(content.sections[index]!)
  const sections = content.sections.flatMap((s, i) => (i !== index ? [s] : changed === null ? [] : [changed]))
  return { ...content, sections: byPosition(sections) }
}

export const patchSection = (content: MenuContent, sectionId: string, patch: SectionPatch) =>
  changingSection(content, sectionId, (section) => ({
    ...section,
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.displayType === undefined ? {} : { displayType: patch.displayType }),
    ...(patch.position === undefined ? {} : { position: patch.position })
  }))

export const withoutSection = (content: MenuContent, sectionId: string) =>
  changingSection(content, sectionId, () => null)

export const withItems = (content: MenuContent, sectionId: string, items: ReadonlyArray<MenuItem>) =>
  changingSection(content, sectionId, (section) => ({ ...section, items: byPosition(items) }))

export const withHours = (content: MenuContent, hours: MenuHours | null): MenuContent => ({ ...content, hours })

export const withStores = (content: MenuContent, storeIds: ReadonlyArray<string>): MenuContent => ({
  ...content,
  storeIds: [...storeIds]
})

export const sectionOf = (content: MenuContent, sectionId: string): MenuSection | undefined =>
  content.sections.find((s) => s.sectionId === sectionId)

/** Whether two contents say the same, whatever the order of their keys (storage may read them back reordered). */
export const sameContent = (a: MenuContent, b: MenuContent): boolean => canonicalJson(a) === canonicalJson(b)
