import {
  type CatalogSnapshot,
  fulfilmentTypes,
  type OutletSnapshot,
  type SectionSnapshot,
  UNTIL_FURTHER_NOTICE
} from "../../domain/catalog.ts"
import { isCurrencyCode } from "../../domain/tenant.ts"
import type { PayloadIssue } from "./errors.ts"

const isMoney = (n: number) => Number.isSafeInteger(n) && n >= 0
const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0
const isSnooze = (s: string | null) => s === null || s === UNTIL_FURTHER_NOTICE || !Number.isNaN(Date.parse(s))
const hhmm = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/

/**
 * The canonical invariants every decoded catalog must hold, whatever the POS: unique external ids,
 * non-negative integer prices, 0 <= min <= max, every reference resolvable. The core checks them on
 * every sync; the conformance kit checks a plugin's output with the same function.
 */
export const catalogIssues = (snapshot: CatalogSnapshot): ReadonlyArray<PayloadIssue> => {
  const issues: Array<PayloadIssue> = []
  const unique = (kind: string, ids: ReadonlyArray<string>) => {
    const seen = new Set<string>()
    for (const id of ids) {
      if (id === "") issues.push({ path: kind, message: "an empty external id" })
      if (seen.has(id)) issues.push({ path: `${kind}.${id}`, message: "this external id is used by two objects" })
      seen.add(id)
    }
    return seen
  }
  const productIds = unique(
    "products",
    snapshot.products.map((p) => p.externalId)
  )
  const groupIds = unique(
    "modifierGroups",
    snapshot.modifierGroups.map((g) => g.externalId)
  )
  const optionIds = unique(
    "modifierOptions",
    snapshot.modifierOptions.map((o) => o.externalId)
  )
  unique(
    "menus",
    snapshot.menus.map((m) => m.externalId)
  )

  for (const p of snapshot.products) {
    const at = `products.${p.externalId}`
    if (!isMoney(p.price))
      issues.push({ path: `${at}.price`, message: `not a non-negative integer amount: ${p.price}` })
    if (p.posCode === "") issues.push({ path: `${at}.posCode`, message: "empty" })
    if (!isSnooze(p.snoozedUntil))
      issues.push({ path: `${at}.snoozedUntil`, message: "not a date-time or UNTIL_FURTHER_NOTICE" })
    if (
      p.taxRatePpm !== null &&
      !(Number.isSafeInteger(p.taxRatePpm) && p.taxRatePpm >= 0 && p.taxRatePpm <= 1_000_000)
    )
      issues.push({ path: `${at}.taxRatePpm`, message: `not parts per million between 0 and 1000000: ${p.taxRatePpm}` })
    for (const [type, rate] of Object.entries(p.taxRatesPpm ?? {})) {
      if (!(fulfilmentTypes as ReadonlyArray<string>).includes(type)) {
        issues.push({ path: `${at}.taxRatesPpm.${type}`, message: "not a fulfilment type" })
      } else if (!(Number.isSafeInteger(rate) && rate >= 0 && rate <= 1_000_000)) {
        issues.push({
          path: `${at}.taxRatesPpm.${type}`,
          message: `not parts per million between 0 and 1000000: ${rate}`
        })
      }
    }
    for (const g of p.modifierGroupIds) {
      if (!groupIds.has(g)) issues.push({ path: `${at}.modifierGroupIds`, message: `unknown modifier group '${g}'` })
    }
  }
  for (const g of snapshot.modifierGroups) {
    const at = `modifierGroups.${g.externalId}`
    if (!isCount(g.min) || !isCount(g.max) || g.min > g.max) {
      issues.push({ path: at, message: `min ${g.min} and max ${g.max} must satisfy 0 <= min <= max` })
    }
    if (!Number.isSafeInteger(g.maxPerOption) || g.maxPerOption < 1) {
      issues.push({ path: `${at}.maxPerOption`, message: `must be at least 1: ${g.maxPerOption}` })
    }
    for (const o of g.optionIds) {
      if (!optionIds.has(o)) issues.push({ path: `${at}.optionIds`, message: `unknown modifier option '${o}'` })
    }
  }
  for (const o of snapshot.modifierOptions) {
    const at = `modifierOptions.${o.externalId}`
    if (!isMoney(o.price))
      issues.push({ path: `${at}.price`, message: `not a non-negative integer amount: ${o.price}` })
    if (!isSnooze(o.snoozedUntil))
      issues.push({ path: `${at}.snoozedUntil`, message: "not a date-time or UNTIL_FURTHER_NOTICE" })
  }
  const checkSections = (at: string, sections: ReadonlyArray<SectionSnapshot>, depth: number) => {
    unique(
      `${at}.sections`,
      sections.map((s) => s.externalId)
    )
    for (const s of sections) {
      for (const p of s.productIds) {
        if (!productIds.has(p))
          issues.push({ path: `${at}.sections.${s.externalId}`, message: `unknown product '${p}'` })
      }
      if (depth >= 1 && s.subSections.length > 0) {
        issues.push({ path: `${at}.sections.${s.externalId}`, message: "sections nest one level only" })
      }
      checkSections(`${at}.sections.${s.externalId}`, s.subSections, depth + 1)
    }
  }
  for (const m of snapshot.menus) {
    const at = `menus.${m.externalId}`
    checkSections(at, m.sections, 0)
    for (const w of m.availabilities) {
      if (!hhmm.test(w.opens) || !hhmm.test(w.closes) || w.dayOfWeek < 1 || w.dayOfWeek > 7) {
        issues.push({ path: `${at}.availabilities`, message: `not a weekly window: ${JSON.stringify(w)}` })
      }
    }
  }
  return issues.slice(0, 20)
}

export const outletIssues = (outlets: ReadonlyArray<OutletSnapshot>): ReadonlyArray<PayloadIssue> => {
  const issues: Array<PayloadIssue> = []
  const seen = new Map<string, string>()
  for (const o of outlets) {
    if (o.externalId === "") issues.push({ path: "outlets", message: "an empty external id" })
    const again = seen.get(o.externalId)
    if (again !== undefined && again !== JSON.stringify(o)) {
      issues.push({ path: `outlets.${o.externalId}`, message: "this external id describes two different outlets" })
    }
    seen.set(o.externalId, JSON.stringify(o))
    if (o.currency !== null && !isCurrencyCode(o.currency)) {
      issues.push({ path: `outlets.${o.externalId}.currency`, message: `not an ISO 4217 code: ${o.currency}` })
    }
  }
  return issues.slice(0, 20)
}
