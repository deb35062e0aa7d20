import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max"

/**
 * A phone number in E.164, read with the tenant's country as the default region (a national
 * number such as `9123 4567` in Singapore), or undefined when it is not a valid number. The full
 * metadata ("max") checks number ranges as well as lengths, so a typo is refused rather than stored.
 */
export const normalisePhone = (raw: string, defaultCountry: string): string | undefined => {
  const text = raw.trim()
  if (text === "" || text.length > 40) return undefined
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: defaultCountry as CountryCode, extract: false })
  return parsed?.isValid() === true ? parsed.number : undefined
}
