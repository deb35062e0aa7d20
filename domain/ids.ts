/**
 * Our ids for synced objects are derived from what identifies them at the POS, so the same
 * (provider, external id) always maps to the same id, on every adapter and across re-syncs, with no
 * lookup table. Four 32-bit lanes of a multiplicative hash, mixed at the end, give 128 bits: far
 * beyond any catalog's birthday bound. Hot in large syncs (hundreds of thousands of calls), so it
 * avoids big-number arithmetic and base conversions of wide integers.
 */
const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, "0")

const mix = (h: number, k: number) => {
  let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ k
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return x ^ (x >>> 16)
}

const hash128 = (text: string): string => {
  let h1 = 0x9e3779b9
  let h2 = 0x243f6a88
  let h3 = 0xb7e15162
  let h4 = 0x6a09e667
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 0x01000193)
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995)
    h3 = Math.imul(h3 ^ ch, 0x27d4eb2d)
    h4 = Math.imul(h4 ^ ch, 0x165667b1)
  }
  const n = text.length
  const a = mix(h1, h2 ^ n)
  const b = mix(h2, h3 ^ a)
  const c = mix(h3, h4 ^ b)
  const d = mix(h4, a ^ c)
  return hex8(a) + hex8(b) + hex8(c) + hex8(d)
}

/** A stable opaque id: `<prefix>_` and 32 hex characters. */
export const derivedId = (prefix: string, ...key: ReadonlyArray<string>): string => {
  // Lengths first, so ("ab","c") and ("a","bc") never collide.
  let text = ""
  for (const k of key) text += `${k.length}:${k}|`
  return `${prefix}_${hash128(text)}`
}

export const outletId = (provider: string, externalId: string) => derivedId("out", provider, externalId)
export const productId = (provider: string, externalId: string) => derivedId("prd", provider, externalId)
export const modifierGroupId = (provider: string, externalId: string) => derivedId("mgr", provider, externalId)
export const modifierOptionId = (provider: string, externalId: string) => derivedId("opt", provider, externalId)
export const menuV1Id = (outlet: string, externalId: string) => derivedId("mnu", outlet, externalId)
export const sectionV1Id = (menu: string, externalId: string) => derivedId("sec", menu, externalId)
