/**
 * ISO 4217 minor units, for Deliverect's `decimalDigits`: the number of digits after the decimal
 * point of the integer amounts an order carries (SGD and EUR 2, JPY 0, KWD 3). The table is ISO's
 * own (list one, with the codes withdrawn in recent years kept, so an outlet that still prices in
 * one is served): `Intl` cannot be used, since it answers the common display precision instead,
 * which differs from ISO for several currencies (IDR, HUF and COP are shown without cents, IQD
 * with none of its three digits).
 */
const minorUnits: Readonly<Record<string, number>> = {
  // No minor unit.
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // Thousandths.
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // Ten-thousandths (units of account).
  CLF: 4,
  UYW: 4,
  // Hundredths.
  ...Object.fromEntries(
    [
      "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD",
      "CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL",
      "GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR",
      "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB",
      "PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP",
      "SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
    ]
      .join(" ")
      .split(" ")
      .map((code) => [code, 2] as const)
  )
}

/**
 * The digits of the currency's minor unit, or undefined for a code ISO 4217 does not list with one
 * (a typo, or gold, XDR and test codes, which have no minor unit).
 */
export const decimalDigits = (currency: string): number | undefined =>
  Object.hasOwn(minorUnits, currency) ? minorUnits[currency] : undefined
