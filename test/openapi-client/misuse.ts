/**
 * Calls the generated types must refuse, without `@ts-expect-error`: the contract test expects tsc
 * to fail on each marked line, which proves the typecheck of usage.ts can fail at all.
 */
import createClient from "openapi-fetch"
import type { paths } from "#openapi"

const api = createClient<paths>({ baseUrl: "https://acme.pos.example.org" })

// refused: a string limit
export const stringLimit = api.GET("/api/v1/outlets", { params: { query: { limit: "10" } } })
// refused: a misspelt required field (openapi-fetch infers bodies, so a misspelt optional one goes unseen)
export const misspelt = api.POST("/api/v1/customers", { body: { nmae: "Mei Ling", phone: "9123 4567" } })
