import { beforeAll, describe, expect, it } from "vitest"
import packageJson from "../../package.json" with { type: "json" }
import { type OpenApiDocument, operations, servedDocument } from "./served-document.ts"

const hosted = { basePath: "/service/pos-integration", baseDomain: "pos.example.org" }

describe("the served OpenAPI document", () => {
  let local: OpenApiDocument
  let behindProxy: OpenApiDocument
  let docsPage: string

  let contentType: string | null
  beforeAll(async () => {
    const plain = await servedDocument()
    local = plain.document
    docsPage = plain.docsPage
    contentType = plain.contentType
    behindProxy = (await servedDocument(hosted)).document
  }, 60_000)

  it("is served as JSON, under BASE_PATH too, with the package's version and servers from BASE_PATH", () => {
    expect(contentType).toContain("application/json")
    expect(local.openapi).toBe("3.1.0")
    expect(local.info.version).toBe(packageJson.version)
    expect(local.servers).toEqual([expect.objectContaining({ url: "/" })])
    expect(behindProxy.servers).toEqual([
      expect.objectContaining({ url: "/service/pos-integration" }),
      expect.objectContaining({
        url: "https://{tenant}.pos.example.org/service/pos-integration",
        variables: { tenant: expect.objectContaining({ default: "demo" }) }
      })
    ])
  })

  it("gives /docs the same finished document", () => {
    expect(docsPage).toContain("Redeem a reward or points")
    expect(docsPage).toContain(`"version":"${packageJson.version}"`)
  })

  it("gives every operation a summary, a description, and 405 and 500; 413 and 415 exactly where a body is read", () => {
    for (const { path, method, operation } of operations(local)) {
      const where = `${method.toUpperCase()} ${path}`
      expect(operation.summary, where).toMatch(/\S/)
      expect(operation.description, where).toMatch(/\S/)
      const statuses = Object.keys(operation.responses)
      expect(statuses, where).toEqual(expect.arrayContaining(["405", "500"]))
      const hasBody = operation.requestBody !== undefined
      expect(statuses.includes("413"), where).toBe(hasBody)
      expect(statuses.includes("415"), where).toBe(hasBody)
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(operation.responses[status]?.content?.["application/json"]?.schema, `${where} ${status}`).toEqual({
          $ref: "#/components/schemas/ErrorEnvelope"
        })
      }
    }
  })

  it("says each secured operation's scopes in the security requirement, x-scopes and the description", () => {
    const byId = new Map(operations(local).map((o) => [o.operation.operationId, o.operation]))
    expect(byId.get("sync.list")?.security).toEqual([
      { apiKey: ["pos:sync"] },
      { apiKey: ["products:read"] },
      { oauth2: ["pos:sync"] },
      { oauth2: ["products:read"] }
    ])
    expect(byId.get("sync.list")?.["x-scopes"]).toEqual(["pos:sync", "products:read"])
    expect(byId.get("sync.list")?.description).toContain("`pos:sync` or `products:read`")
    expect(byId.get("loyalty.earn")?.security).toEqual([{ apiKey: ["loyalty:write"] }, { oauth2: ["loyalty:write"] }])
    expect(byId.get("auth.whoami")?.security).toEqual([{ apiKey: [] }, { oauth2: [] }])
    expect(byId.get("healthz")?.security).toEqual([])
    for (const [id, operation] of byId) {
      if (id !== "healthz" && id !== "readyz") expect(operation.responses["401"], id).toBeDefined()
      // 403 only where a scope is needed: any valid key may call whoami and providers.
      expect(operation.responses["403"] !== undefined, id).toBe((operation["x-scopes"] ?? []).length > 0)
    }
    // The bearer scheme is OAuth 2.0 client credentials, with the token URL and every scope.
    const schemes = (local as unknown as { components: { securitySchemes: Record<string, Record<string, unknown>> } })
      .components.securitySchemes
    expect(schemes["bearer"]).toBeUndefined()
    expect(schemes["oauth2"]).toMatchObject({
      type: "oauth2",
      flows: {
        clientCredentials: {
          tokenUrl: "/oauth/token",
          scopes: expect.objectContaining({ "pos:sync": expect.any(String) })
        }
      }
    })
    // A list of outlets names no resource and conflicts with nothing.
    expect(Object.keys(byId.get("catalog.listOutlets")?.responses ?? {})).not.toContain("404")
    expect(Object.keys(byId.get("catalog.getOutlet")?.responses ?? {})).not.toContain("409")
  })

  it("declares exact types: integer limits, closed enums, RFC 3339 instants, the refCode pattern, id shapes", () => {
    const listProducts = local.paths["/api/v1/products"]?.["get"]
    expect(listProducts?.parameters?.find((p) => p.name === "limit")?.schema).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 500,
      default: 50
    })
    const getOutlet = local.paths["/api/v1/outlets/{outletId}"]?.["get"]
    // An id of another shape is a 404 (an unknown id), so its shape is described, never a `pattern`.
    const outletId = getOutlet?.parameters?.find((p) => p.name === "outletId") as { description?: string } | undefined
    expect(outletId?.description).toContain("`out_` and 32 hex digits")
    expect(getOutlet?.parameters?.find((p) => p.name === "outletId")?.schema).toEqual({
      type: "string",
      example: "out_5d41402abc4b2a76b9719d911017c592"
    })
    const schemas = local.components.schemas
    expect(schemas["LoyaltyTransaction"]?.["properties"]).toMatchObject({
      type: { enum: ["EARN", "REDEEM"] },
      createdAt: { type: "string", format: "date-time" }
    })
    expect(schemas["Sync"]?.["properties"]).toMatchObject({
      kind: { enum: ["outlets", "products"] },
      status: { enum: ["succeeded", "failed"] }
    })
    expect(schemas["LoyaltyEarn"]?.["properties"]).toMatchObject({
      amount: { type: "integer", minimum: 0, maximum: 1e12 },
      refCode: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,48}$", minLength: 1, maxLength: 48 }
    })
  })

  it("states that a redeem names exactly one of rewardId and points", () => {
    const redeem = local.components.schemas["LoyaltyRedeem"] as { oneOf: Array<{ required: Array<string> }> }
    expect(redeem.oneOf.map((branch) => [...branch.required].sort())).toEqual([
      ["customerId", "refCode", "rewardId"],
      ["customerId", "points", "refCode"]
    ])
  })

  it("has readable component names and never one schema twice in an anyOf", () => {
    for (const name of Object.keys(local.components.schemas)) expect(name).toMatch(/^[A-Z][A-Za-z]+$/)
    expect(local.components.schemas).toHaveProperty("MenuSection")
    const duplicates: Array<string> = []
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${at}/${i}`)
        return
      }
      if (node === null || typeof node !== "object") return
      const anyOf = (node as { anyOf?: Array<unknown> }).anyOf
      if (anyOf !== undefined && new Set(anyOf.map((b) => JSON.stringify(b))).size !== anyOf.length) duplicates.push(at)
      for (const [key, child] of Object.entries(node)) walk(child, `${at}/${key}`)
    }
    walk(local, "#")
    expect(duplicates).toEqual([])
  })
})
