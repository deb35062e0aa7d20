import { Schema } from "effect"
import { DateTime, FulfilmentType, Money } from "./api-types.ts"
import { RefCode } from "./customers-api.ts"

/**
 * The order bodies and answers (SPEC section 10). The request types check shape, formats and ranges;
 * whether the order fits the outlet's menu, and what it costs, is the server's work
 * (domain/order-pricing.ts). Answers are built by our own code and carry documentation only.
 */

const nonBlank = Schema.makeFilter((s: string) => s.trim() !== "" || "expected a non-empty string")
const Text = (max: number) => Schema.String.pipe(Schema.check(nonBlank, Schema.isMaxLength(max)))
const optionalText = (max: number) => Schema.optionalKey(Schema.NullOr(Text(max)))

/** Up to 10^12 minor units, as every amount of the API. */
const Amount = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1e12 }))).annotate({
  description: "Minor units of the outlet's currency (cents for SGD)"
})
const Id = (description: string, example: string) =>
  Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(128))).annotate({
    description,
    examples: [example]
  })

export const OrderStatus = Schema.Literals([
  "RECEIVED",
  "SUBMITTED",
  "ACCEPTED",
  "PREPARING",
  "READY",
  "IN_DELIVERY",
  "COMPLETED",
  "CANCELLED",
  "REJECTED",
  "FAILED"
]).annotate({
  description:
    "RECEIVED (stored, on its way to the POS), SUBMITTED (the POS has it), ACCEPTED, PREPARING, READY, IN_DELIVERY, COMPLETED; CANCELLED, REJECTED (by the POS, with its reason), FAILED (it could not be delivered to the POS)"
})

const ChargeKind = Schema.Literals(["DELIVERY", "SERVICE", "PACKAGING", "TIP", "OTHER"])
const DiscountType = Schema.Literals(["PROMOTION", "VOUCHER", "LOYALTY", "OTHER"])

// ---------------------------------------------------------------------------------------------------
// The request

const Address = Schema.Struct({
  line1: Text(200),
  line2: optionalText(200),
  city: optionalText(100),
  postalCode: optionalText(20),
  country: Schema.optionalKey(
    Schema.NullOr(
      Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/, { message: "expected ISO 3166-1 alpha-2" })))
    )
  ),
  latitude: Schema.optionalKey(
    Schema.NullOr(Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: -90, maximum: 90 }))))
  ),
  longitude: Schema.optionalKey(
    Schema.NullOr(Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: -180, maximum: 180 }))))
  )
}).annotate({ identifier: "OrderAddress" })

const Fulfilment = Schema.Struct({
  type: FulfilmentType,
  asap: Schema.optionalKey(
    Schema.Boolean.annotate({ description: "As soon as possible (the default when `scheduledFor` is left out)" })
  ),
  scheduledFor: Schema.optionalKey(
    Schema.NullOr(
      Schema.String.annotate({
        format: "date-time",
        description:
          "RFC 3339: when the customer wants it, within the coming 7 days; the order is checked against the menu at that instant"
      })
    )
  ),
  table: optionalText(40),
  address: Schema.optionalKey(Schema.NullOr(Address))
}).annotate({
  identifier: "OrderFulfilment",
  description: "How the customer gets the order. DELIVERY needs an `address`; DINE_IN may name a `table`."
})

const Customer = Schema.Struct({
  customerId: Schema.optionalKey(Schema.NullOr(Id("A customer's id (POST /api/v1/customers)", "cus_3f2a"))),
  name: optionalText(200),
  phone: optionalText(40),
  email: optionalText(254)
}).annotate({
  identifier: "OrderCustomer",
  description:
    "A known customer by `customerId` (their stored contact details go to the POS), or a name, phone and email as given"
})

const ModifierChoice = Schema.Struct({
  optionId: Id("A modifier option's id, from the product's `modifierGroups`", "opt_9c1e"),
  quantity: Schema.optionalKey(
    Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 99 }))).annotate({
      description: "Per unit of the line, 1 to the group's `maxPerOption` (default 1)"
    })
  )
}).annotate({ identifier: "OrderModifierChoice" })

const Item = Schema.Struct({
  productId: Id("A product on the outlet's effective menu (GET /api/v1/outlets/{outletId}/menu)", "prd_7d79"),
  quantity: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 99 }))).annotate({
    description: "1 to 99"
  }),
  note: optionalText(500),
  modifiers: Schema.optionalKey(Schema.Array(ModifierChoice).pipe(Schema.check(Schema.isMaxLength(100))))
}).annotate({ identifier: "OrderItem" })

const Charge = Schema.Struct({
  kind: ChargeKind,
  name: optionalText(100),
  amount: Amount
}).annotate({
  identifier: "OrderCharge",
  description: "A charge besides the items, as the partner computed it (delivery fee, service charge, packaging, tip)"
})

const Discount = Schema.Struct({
  type: DiscountType,
  name: optionalText(100),
  reference: optionalText(100),
  amount: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 1e12 })))
}).annotate({
  identifier: "OrderDiscount",
  description:
    "An amount off the order, given by the partner (a promotion, a voucher by its `reference`); all discounts together at most the items' subtotal"
})

const Payment = Schema.Struct({
  status: Schema.Literals(["PAID", "UNPAID"]),
  amount: Amount.annotate({
    description:
      "What the partner computed the order to cost, in minor units: must equal the server's total, else 400 stating both"
  }),
  method: optionalText(50),
  reference: optionalText(200)
}).annotate({ identifier: "OrderPayment" })

export const OrderCreate = Schema.Struct({
  refCode: RefCode,
  outletId: Id("An outlet's id (GET /api/v1/outlets)", "out_5d41"),
  fulfilment: Fulfilment,
  customer: Schema.optionalKey(Customer),
  items: Schema.Array(Item).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  charges: Schema.optionalKey(Schema.Array(Charge).pipe(Schema.check(Schema.isMaxLength(20)))),
  discounts: Schema.optionalKey(Schema.Array(Discount).pipe(Schema.check(Schema.isMaxLength(20)))),
  payment: Payment,
  notes: optionalText(1000),
  displayId: optionalText(40)
}).annotate({
  identifier: "OrderCreate",
  description:
    "An order for one outlet. Prices are the server's (the effective menu's); the partner states what it computed in `payment.amount`.",
  examples: [
    {
      refCode: "KIOSK-7-000123",
      outletId: "out_5d41402abc4b2a76b9719d911017c592",
      fulfilment: { type: "PICKUP", asap: true },
      customer: { name: "Mei Ling", phone: "+6591234567" },
      items: [
        {
          productId: "prd_7d793037a0760186574b0282f2f435e7",
          quantity: 2,
          modifiers: [{ optionId: "opt_9c1e0a4b2d3f4e5a6b7c8d9e0f1a2b3c" }]
        }
      ],
      payment: { status: "PAID", amount: 1960, method: "card", reference: "pi_3Nx" }
    }
  ]
})

export const OrderCancel = Schema.Struct({
  reason: optionalText(500)
}).annotate({ identifier: "OrderCancel", description: "Why the order is cancelled (shown to the restaurant)" })

// ---------------------------------------------------------------------------------------------------
// Answers

const Tax = Schema.Struct({
  ratePpm: Schema.NullOr(Schema.Int).annotate({
    description: "The rate in parts per million (9% is 90000); null when no rate applies"
  }),
  amount: Money
})

export const OrderLineView = Schema.Struct({
  lineNo: Schema.Int,
  productId: Schema.String,
  name: Schema.String,
  quantity: Schema.Int,
  unitPrice: Money,
  note: Schema.NullOr(Schema.String),
  modifiers: Schema.Array(
    Schema.Struct({
      optionId: Schema.String,
      modifierGroupId: Schema.String,
      name: Schema.String,
      quantity: Schema.Int,
      unitPrice: Money
    })
  ),
  subtotal: Money,
  discount: Money,
  tax: Tax,
  total: Money
}).annotate({
  identifier: "OrderLine",
  description:
    "A line as priced: `unitPrice` per unit without modifiers; `subtotal` = quantity x (unit price + modifiers); `discount` its share of the order's discounts; `total` = subtotal - discount, plus tax when the outlet's prices exclude it"
})

export const OrderTotals = Schema.Struct({
  subtotal: Money,
  charges: Money,
  discount: Money,
  tax: Money,
  total: Money
}).annotate({ identifier: "OrderTotals" })

const OrderFields = {
  orderId: Schema.String.annotate({ description: "`ord_` and 32 hex digits" }),
  refCode: Schema.String,
  outletId: Schema.String,
  status: OrderStatus,
  createdAt: DateTime,
  fulfilment: Schema.Struct({
    type: FulfilmentType,
    asap: Schema.Boolean,
    scheduledFor: Schema.NullOr(DateTime),
    table: Schema.NullOr(Schema.String),
    address: Schema.NullOr(
      Schema.Struct({
        line1: Schema.String,
        line2: Schema.NullOr(Schema.String),
        city: Schema.NullOr(Schema.String),
        postalCode: Schema.NullOr(Schema.String),
        country: Schema.NullOr(Schema.String),
        latitude: Schema.NullOr(Schema.Number),
        longitude: Schema.NullOr(Schema.Number)
      })
    )
  }),
  customer: Schema.Struct({
    customerId: Schema.NullOr(Schema.String),
    name: Schema.NullOr(Schema.String),
    phone: Schema.NullOr(Schema.String),
    email: Schema.NullOr(Schema.String)
  }),
  lines: Schema.Array(OrderLineView),
  charges: Schema.Array(Schema.Struct({ kind: ChargeKind, name: Schema.String, amount: Money })),
  discounts: Schema.Array(
    Schema.Struct({ type: DiscountType, name: Schema.String, reference: Schema.NullOr(Schema.String), amount: Money })
  ),
  totals: OrderTotals,
  currency: Schema.String,
  taxInclusive: Schema.Boolean,
  payment: Schema.Struct({
    status: Schema.Literals(["PAID", "UNPAID"]),
    amount: Money,
    method: Schema.NullOr(Schema.String),
    reference: Schema.NullOr(Schema.String)
  }),
  notes: Schema.NullOr(Schema.String),
  displayId: Schema.NullOr(Schema.String),
  menu: Schema.Struct({
    source: Schema.Literals(["menu-v2", "pos"]),
    menus: Schema.Array(Schema.Struct({ menuId: Schema.String, version: Schema.Int }))
  }).annotate({
    description: "What the order was priced against: the outlet's V2 menus (id and version) or its POS's menus"
  })
}

/** The answer to a placement (and its replays): the order as placed, status RECEIVED. */
export const OrderPlaced = Schema.Struct(OrderFields).annotate({
  identifier: "OrderPlaced",
  description: "The order as placed and priced; a replay of the same refCode answers these bytes again"
})

export const TimelineEntryView = Schema.Struct({
  at: DateTime,
  status: Schema.NullOr(OrderStatus).annotate({
    description:
      "The status after this entry; null for an entry that changed nothing (an unknown POS status, a refused move)"
  }),
  source: Schema.Literals(["service", "partner", "pos"]),
  vendorStatus: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String)
}).annotate({ identifier: "OrderTimelineEntry" })

export const DeliveryAttemptView = Schema.Struct({
  kind: Schema.Literals(["submit", "cancel"]),
  attempt: Schema.Int,
  startedAt: DateTime,
  finishedAt: DateTime,
  outcome: Schema.Literals([
    "delivered",
    "duplicate",
    "rejected",
    "unavailable",
    "not-configured",
    "unsupported",
    "skipped"
  ]),
  reason: Schema.NullOr(Schema.String).annotate({ description: "What the POS said (never a credential)" })
}).annotate({ identifier: "OrderDeliveryAttempt" })

export const OrderView = Schema.Struct({
  ...OrderFields,
  posOrderId: Schema.NullOr(Schema.String).annotate({ description: "The POS's own id, once it answered one" }),
  updatedAt: DateTime,
  timeline: Schema.Array(TimelineEntryView),
  deliveries: Schema.Array(DeliveryAttemptView)
}).annotate({ identifier: "Order" })

export const OrderSummary = Schema.Struct({
  ...OrderFields,
  posOrderId: Schema.NullOr(Schema.String),
  updatedAt: DateTime
}).annotate({ identifier: "OrderSummary" })
