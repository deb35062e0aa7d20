import { describe, expect, it } from "vitest"
import { formatProblems, lintOpenApi } from "./lint-openapi.ts"

describe("Redocly's recommended ruleset on the served document", () => {
  it("reports no error and no warning, locally and behind a domain and BASE_PATH", async () => {
    expect(formatProblems(await lintOpenApi())).toBe("")
  }, 120_000)
})
