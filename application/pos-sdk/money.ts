import { Effect } from "effect"
import { PayloadRejected } from "./errors.ts"

/** Digits after the decimal point of a currency's minor unit (SGD 2, JPY 0, KWD 3), from ISO 4217 via Intl. */
export const currencyDecimals = (currency: string): number | undefined => {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits
  } catch {
    return undefined
  }
}

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/

/**
 * A decimal amount (a JSON number such as 10.5, or a string "10.50") in exact minor units, by string
 * arithmetic: never through floating-point multiplication. More fractional digits than the currency
 * has (other than trailing zeros) cannot be represented and are refused, never rounded silently.
 */
export const decimalToMinorUnits = (
  value: number | string,
  decimals: number,
  path: string
): Effect.Effect<number, PayloadRejected> => {
  // The shortest round-trip form of a double is the decimal its JSON text spelled (10.15 -> "10.15").
  const text = typeof value === "number" ? (Number.isFinite(value) ? numberText(value) : "") : value.trim()
  const match = decimalPattern.exec(text)
  if (match === null) return Effect.fail(PayloadRejected.one(path, `not a decimal amount: ${String(value)}`))
  const [, sign, whole, fraction = ""] = match
  const significant = fraction.replace(/0+$/, "")
  if (significant.length > decimals) {
    return Effect.fail(PayloadRejected.one(path, `${text} has more than ${decimals} decimal places for this currency`))
  }
  const minor = Number(`${whole}${significant.padEnd(decimals, "0")}`)
  if (!Number.isSafeInteger(minor)) return Effect.fail(PayloadRejected.one(path, `amount out of range: ${text}`))
  return Effect.succeed(sign === "-" && minor !== 0 ? -minor : minor)
}

/** Plain decimal notation for a double, also for ones JavaScript would print in exponent form. */
const numberText = (value: number): string => {
  const text = String(value)
  if (!/e/i.test(text)) return text
  const [mantissa = "", exponentText = "0"] = text.toLowerCase().split("e")
  const exponent = Number(exponentText)
  const negative = mantissa.startsWith("-")
  const [intPart = "", fracPart = ""] = mantissa.replace("-", "").split(".")
  const digits = intPart + fracPart
  const point = intPart.length + exponent
  const body =
    point <= 0
      ? `0.${"0".repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + "0".repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (negative ? "-" : "") + body
}
