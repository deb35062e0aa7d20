/**
 * JSON text with exact numbers. K-Series takes money as JSON numbers (`"paymentAmount": 12.50`) and
 * ids as int64 (`"businessLocationId": 9007199254740993`); neither survives a JavaScript number
 * exactly (a float for the money, 2^53 for the id). Such values are written from their decimal
 * text instead, digit for digit.
 */

/** A JSON number written exactly as its decimal text. */
export class JsonNumber {
  readonly text: string
  constructor(text: string) {
    if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(text)) throw new Error(`not a JSON number: ${text}`)
    this.text = text
  }
}

export type JsonValue =
  | string
  | boolean
  | null
  | JsonNumber
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue | undefined }

/** The JSON text of a value; object keys whose value is undefined are left out, as JSON.stringify does. */
export const jsonText = (value: JsonValue): string => {
  if (value instanceof JsonNumber) return value.text
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`
  const fields = Object.entries(value as { readonly [key: string]: JsonValue | undefined }).flatMap(([key, field]) =>
    field === undefined ? [] : [`${JSON.stringify(key)}:${jsonText(field)}`]
  )
  return `{${fields.join(",")}}`
}
