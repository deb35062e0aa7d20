import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { RefCodePattern } from "../../domain/loyalty.ts"
import { secured } from "./api-middleware.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"

export const RefCode = Schema.String.pipe(
  Schema.check(Schema.isPattern(RefCodePattern, { message: "expected 1 to 48 characters of A-Z a-z 0-9 . _ : -" }))
)

const Text = (max: number) =>
  Schema.String.pipe(
    Schema.check(
      Schema.makeFilter((s: string) => s.trim() !== "" || "expected a non-empty string"),
      Schema.isMaxLength(max)
    )
  )

/** null and absent mean the same: "not given" (an upsert keeps the stored value). */
const optionalText = (max: number) => Schema.optional(Schema.NullOr(Text(max)))

export const CustomerView = Schema.Struct({
  customerId: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  name: Schema.String,
  phone: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String),
  marketingOptIn: Schema.Boolean,
  createdAt: Schema.String,
  updatedAt: Schema.String
}).annotate({ identifier: "Customer" })

export const CustomerUpsert = Schema.Struct({
  externalId: optionalText(128),
  name: Text(200),
  phone: optionalText(40),
  email: optionalText(254),
  marketingOptIn: Schema.optional(Schema.NullOr(Schema.Boolean)),
  refCode: Schema.optional(RefCode)
}).annotate({ identifier: "CustomerUpsert" })

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

export const CustomersGroup = secured(
  HttpApiGroup.make("customers").add(
    HttpApiEndpoint.post("upsert", "/customers", {
      payload: CustomerUpsert,
      success: [CustomerView, CustomerView.pipe(HttpApiSchema.status(201))],
      error: [BadRequestJson, ConflictJson]
    }).annotateMerge(needs(["customers:write"])),
    HttpApiEndpoint.get("get", "/customers/:customerId", {
      params: { customerId: Schema.String },
      success: CustomerView,
      error: [BadRequestJson, NotFoundJson]
    }).annotateMerge(needs(["customers:read"])),
    HttpApiEndpoint.get("find", "/customers", {
      query: {
        phone: Schema.optional(Schema.String),
        email: Schema.optional(Schema.String),
        externalId: Schema.optional(Schema.String)
      },
      success: Schema.Struct({ data: Schema.Array(CustomerView), nextCursor: Schema.Null }),
      error: BadRequestJson
    }).annotateMerge(needs(["customers:read"]))
  )
).annotateMerge(
  OpenApi.annotations({
    title: "Customers",
    description: "Upsert by externalId, else phone (E.164, the tenant's country as default region), else email"
  })
)
