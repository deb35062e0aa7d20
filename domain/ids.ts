/**
 * Our ids for synced objects are derived from what identifies them at the POS, so the same
 * (provider, external id) always maps to the same id, on every adapter and across re-syncs, with no
 * lookup table. Four 32-bit lanes of a multiplicative hash, mixed at the end, give 128 bits: far
 * beyond any catalog's birthday bound. Hot in large syncs (hundreds of thousands of calls), so it
 * avoids big-number arithmetic and base conversions of wide integers.
 */
const hexByte = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const hex8 = (n: number) =>
  hexByte[(n >>> 24) & 255]! + hexByte[(n >>> 16) & 255]! + hexByte[(n >>> 8) & 255]! + hexByte[n & 255]!

const mix = (h: number, k: number) => {
  let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ k
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return x ^ (x >>> 16)
}

/** Hashes the key parts, each preceded by its length, so ("ab","c") and ("a","bc") never collide. */
const hash128 = (parts: ReadonlyArray<string>): string => {
  let h1 = 0x9e3779b9
  let h2 = 0x243f6a88
  let h3 = 0xb7e15162
  let h4 = 0x6a09e667
  let n = 0
  for (const part of parts) {
    for (let i = -1; i < part.length; i++) {
      // The length goes first, outside the UTF-16 range, as a separator no character can fake.
      const ch = i < 0 ? part.length + 0x10000 : part.charCodeAt(i)
      h1 = Math.imul(h1 ^ ch, 0x01000193)
      h2 = Math.imul(h2 ^ ch, 0x5bd1e995)
      h3 = Math.imul(h3 ^ ch, 0x27d4eb2d)
      h4 = Math.imul(h4 ^ ch, 0x165667b1)
    }
    n += part.length + 1
  }
  const a = mix(h1, h2 ^ n)
  const b = mix(h2, h3 ^ a)
  const c = mix(h3, h4 ^ b)
  const d = mix(h4, a ^ c)
  return hex8(a) + hex8(b) + hex8(c) + hex8(d)
}

/** A stable opaque id: `<prefix>_` and 32 hex characters. */
export const derivedId = (prefix: string, ...key: ReadonlyArray<string>): string => `${prefix}_${hash128(key)}`

export const outletId = (provider: string, externalId: string) => derivedId("out", provider, externalId)
export const productId = (provider: string, externalId: string) => derivedId("prd", provider, externalId)
export const modifierGroupId = (provider: string, externalId: string) => derivedId("mgr", provider, externalId)
export const modifierOptionId = (provider: string, externalId: string) => derivedId("opt", provider, externalId)
export const menuV1Id = (outlet: string, externalId: string) => derivedId("mnu", outlet, externalId)
export const sectionV1Id = (menu: string, externalId: string) => derivedId("sec", menu, externalId)

/** 32 hex digits of randomness, for ids that name something we create (not something a POS synced). */
const randomHex = (): string => globalThis.crypto.randomUUID().replaceAll("-", "")

/** A Menu V2 draft: `drf_` and 32 random hex digits. */
export const newDraftId = (): string => `drf_${randomHex()}`
/** A published Menu V2 menu: `mnu2_` and 32 random hex digits (V1 menus, the POS's own, are `mnu_`). */
export const newMenuV2Id = (): string => `mnu2_${randomHex()}`
/** A section of a Menu V2 draft: `sec_` and 32 random hex digits, kept through edits and publishing. */
export const newSectionV2Id = (): string => `sec_${randomHex()}`

export const isDraftId = (id: string): boolean => /^drf_[0-9a-f]{32}$/.test(id)
export const isMenuV2Id = (id: string): boolean => /^mnu2_[0-9a-f]{32}$/.test(id)
