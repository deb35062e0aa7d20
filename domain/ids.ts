/**
 * Our ids for synced objects are derived from what identifies them at the POS, so the same
 * (provider, external id) always maps to the same id, on every adapter and across re-syncs, with no
 * lookup table. Two independent 53-bit hashes (cyrb53 with different seeds) give 106 bits: far
 * beyond any catalog's birthday bound.
 */
const cyrb53 = (text: string, seed: number): number => {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

const part = (text: string, seed: number) => cyrb53(text, seed).toString(36).padStart(11, "0")

/** A stable opaque id: `<prefix>_` and 22 base-36 characters. */
export const derivedId = (prefix: string, ...key: ReadonlyArray<string>): string => {
  // Lengths first, so ("ab","c") and ("a","bc") never collide.
  const text = key.map((k) => `${k.length}:${k}`).join("|")
  return `${prefix}_${part(text, 1)}${part(text, 2)}`
}

export const outletId = (provider: string, externalId: string) => derivedId("out", provider, externalId)
export const productId = (provider: string, externalId: string) => derivedId("prd", provider, externalId)
export const modifierGroupId = (provider: string, externalId: string) => derivedId("mgr", provider, externalId)
export const modifierOptionId = (provider: string, externalId: string) => derivedId("opt", provider, externalId)
export const menuV1Id = (outlet: string, externalId: string) => derivedId("mnu", outlet, externalId)
export const sectionV1Id = (menu: string, externalId: string) => derivedId("sec", menu, externalId)
