import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { RefCodePattern } from "../../domain/loyalty.ts"
import { secured } from "./api-middleware.ts"
import { DateTime, doc, NextCursor } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"

export const RefCode = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(RefCodePattern, {
      message: "expected 1 to 48 characters of A-Z a-z 0-9 . _ : -",
      // The pattern has no `u` flag, so it is not exported by itself: it is plain ASCII, exact as is.
      toJsonSchema: () => ({ pattern: RefCodePattern.source, minLength: 1, maxLength: 48 })
    })
  )
).annotate({
  description: "The caller's idempotency key: the same refCode with the same request replays the first answer",
  examples: ["order-1001"]
})

const Text = (max: number) =>
  Schema.String.pipe(
    Schema.check(
      Schema.makeFilter((s: string) => s.trim() !== "" || "expected a non-empty string"),
      Schema.isMaxLength(max)
    )
  )

/**
 * null and absent mean the same: "not given" (an upsert keeps the stored value). optionalKey, not
 * optional: JSON has no undefined, and `optional` would document null twice.
 */
const optionalText = (max: number) => Schema.optionalKey(Schema.NullOr(Text(max)))

export const CustomerView = Schema.Struct({
  customerId: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  name: Schema.String,
  phone: Schema.NullOr(Schema.String.annotate({ description: "E.164", examples: ["+6591234567"] })),
  email: Schema.NullOr(Schema.String.annotate({ description: "Lower-cased", examples: ["mei.ling@example.org"] })),
  marketingOptIn: Schema.Boolean,
  createdAt: DateTime,
  updatedAt: DateTime
}).annotate({ identifier: "Customer" })

export const CustomerUpsert = Schema.Struct({
  externalId: optionalText(128),
  name: Text(200),
  phone: optionalText(40),
  email: optionalText(254),
  marketingOptIn: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  refCode: Schema.optional(RefCode)
}).annotate({
  identifier: "CustomerUpsert",
  description:
    "At least one of externalId, phone, email to match on. Matched by externalId when given, else by phone (E.164, the tenant's country as default region), else by email. Fields left out or null keep their stored values.",
  examples: [{ name: "Mei Ling", phone: "9123 4567", email: "mei.ling@example.org", refCode: "signup-42" }]
})

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

export const CustomersGroup = secured(
  HttpApiGroup.make("customers").add(
    HttpApiEndpoint.post("upsert", "/customers", {
      payload: CustomerUpsert,
      success: [CustomerView, CustomerView.pipe(HttpApiSchema.status(201))],
      error: [BadRequestJson, ConflictJson]
    })
      .annotateMerge(needs(["customers:write"]))
      .annotateMerge(
        doc(
          "Create or update a customer",
          "Matched by `externalId` when one is given (an externalId that matches nobody creates a customer), else by phone in E.164 (the tenant's country as default region), else by email; fields left out or null keep their stored values. 201 when created, 200 when updated. Optionally idempotent by `refCode`: the same refCode with the same request replays the first answer byte for byte; with another request it is a 409 `refcode conflict`; while the first is still running, a 409 `request in progress`. 400: validation (no field to match on, a phone or email that cannot be one), naming the field. 409 `conflict`: another unique constraint."
        )
      ),
    HttpApiEndpoint.get("get", "/customers/:customerId", {
      params: { customerId: Schema.String },
      success: CustomerView,
      error: [BadRequestJson, NotFoundJson]
    })
      .annotateMerge(needs(["customers:read"]))
      .annotateMerge(doc("Get a customer", "One customer. 404 `customer not found`.")),
    HttpApiEndpoint.get("find", "/customers", {
      query: {
        phone: Schema.optional(Schema.String),
        email: Schema.optional(Schema.String),
        externalId: Schema.optional(Schema.String)
      },
      // One page today; declared as every list is, so a client pages the same way everywhere.
      success: Schema.Struct({ data: Schema.Array(CustomerView), nextCursor: NextCursor }),
      error: BadRequestJson
    })
      .annotateMerge(needs(["customers:read"]))
      .annotateMerge(
        doc(
          "Find customers",
          "The customers with this phone (normalised to E.164 as on upsert), email (case-insensitive) or externalId; one page, `nextCursor` null. 400: a phone or email that cannot be one."
        )
      )
  )
).annotateMerge(
  OpenApi.annotations({
    title: "Customers",
    description: "Upsert by externalId, else phone (E.164, the tenant's country as default region), else email"
  })
)
