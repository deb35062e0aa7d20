/** A partner's customer, kept in the tenant's database and matched on externalId, phone or email. */
export interface Customer {
  readonly id: string
  readonly externalId: string | null
  readonly name: string
  /** E.164, normalised with the tenant's country as the default region. */
  readonly phone: string | null
  /** Lower-cased. */
  readonly email: string | null
  readonly marketingOptIn: boolean
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** What a customer is looked up by: exactly one key. */
export type CustomerKey =
  | { readonly _tag: "externalId"; readonly value: string }
  | { readonly _tag: "phone"; readonly value: string }
  | { readonly _tag: "email"; readonly value: string }

// Deliberately plain: one @, no spaces, a dot in the domain. Mail servers decide the rest.
const emailPattern = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/

/** A lower-cased email address, or undefined when it cannot be one (RFC 5321 caps it at 254). */
export const normaliseEmail = (raw: string): string | undefined => {
  const email = raw.trim().toLowerCase()
  return email.length <= 254 && emailPattern.test(email) ? email : undefined
}

/** Customer ids are ours and opaque: `cus_` and 32 hex digits of randomness. */
export const newCustomerId = (): string => `cus_${globalThis.crypto.randomUUID().replaceAll("-", "")}`
