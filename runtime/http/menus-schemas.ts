import { Schema } from "effect"
import { DateTime } from "./api-types.ts"

/**
 * The Menu V2 bodies and answers (SPEC section 7.3). Request types check what they promise (shape and
 * ranges, at write time); whether products, prices, hours and outlets fit together is checked at
 * publish. Answers are built by our own code and carry documentation only.
 */

const nonBlank = Schema.makeFilter((s: string) => s.trim() !== "" || "expected a non-empty string")
const Text = (max: number) => Schema.String.pipe(Schema.check(nonBlank, Schema.isMaxLength(max)))

/** A pattern exported as is: it is plain ASCII, so it needs no `u` flag to mean the same in JSON Schema. */
const patterned = (pattern: RegExp, message: string) =>
  Schema.String.pipe(
    Schema.check(Schema.isPattern(pattern, { message, toJsonSchema: () => ({ pattern: pattern.source }) }))
  )

const Position = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 }))).annotate({
  description: "Display order, 0 to 1,000,000: lower first; equal positions keep the order they were given in"
})
/** Up to 10^12 minor units, as every amount of the API. */
const Price = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1e12 }))).annotate({
  description: "Minor units of the tenant's currency (cents for SGD)"
})
const ProductId = Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(128))).annotate({
  description: "A product's id (GET /api/v1/products)",
  examples: ["prd_7d793037a0760186574b0282f2f435e7"]
})
const OutletId = Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(128))).annotate({
  description: "An outlet's id (GET /api/v1/outlets)",
  examples: ["out_5d41402abc4b2a76b9719d911017c592"]
})

export const DisplayType = Schema.Literals(["LIST", "GRID", "HIGHLIGHT", "SWIMLANE"]).annotate({
  description: "How a partner should present the section: a LIST, a GRID, a HIGHLIGHT banner, or a SWIMLANE to scroll"
})

const Opens = patterned(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/, "expected a time HH:MM from 00:00 to 23:59").annotate({
  description: "Local wall-clock time HH:MM, 00:00 to 23:59",
  examples: ["11:00"]
})
const Closes = patterned(
  /^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/,
  "expected a time HH:MM from 00:00 to 24:00"
).annotate({
  description: "Local wall-clock time HH:MM, 00:00 to 24:00; before `opens`, the range runs past midnight",
  examples: ["15:00"]
})
const LocalDate = patterned(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, "expected a date YYYY-MM-DD").annotate({
  description: "A local date in the menu's time zone, YYYY-MM-DD",
  examples: ["2026-12-25"]
})
const DayOfWeek = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 7 }))).annotate({
  description: "ISO 8601 day of week: 1 = Monday to 7 = Sunday"
})

// ---------------------------------------------------------------------------------------------------
// Requests

export const DraftCreate = Schema.Struct({
  name: Schema.optionalKey(Text(200)),
  description: Schema.optionalKey(Schema.NullOr(Text(2000))),
  menuId: Schema.optionalKey(
    Schema.String.annotate({
      description: "Start from this published menu's current version (the draft then edits that menu)"
    })
  )
}).annotate({
  identifier: "DraftCreate",
  description:
    "A new menu: `name` (required) and `description`. Or a draft of a published menu: `menuId`, with `name` and `description` to change them.",
  examples: [{ name: "Lunch", description: "Weekdays, 11:00 to 15:00" }]
})

export const DraftPatch = Schema.Struct({
  name: Schema.optionalKey(Text(200)),
  description: Schema.optionalKey(Schema.NullOr(Text(2000)))
}).annotate({
  identifier: "DraftPatch",
  description: "The fields to change; those left out keep their values (`description: null` removes it).",
  examples: [{ name: "Lunch and early dinner" }]
})

export const SectionCreate = Schema.Struct({
  name: Text(200),
  displayType: DisplayType,
  position: Position
}).annotate({
  identifier: "SectionCreate",
  examples: [{ name: "Noodles", displayType: "GRID", position: 10 }]
})

export const SectionPatch = Schema.Struct({
  name: Schema.optionalKey(Text(200)),
  displayType: Schema.optionalKey(DisplayType),
  position: Schema.optionalKey(Position)
}).annotate({
  identifier: "SectionPatch",
  description: "The fields to change; those left out keep their values.",
  examples: [{ displayType: "HIGHLIGHT", position: 0 }]
})

const ItemInput = Schema.Struct({
  productId: ProductId,
  position: Position,
  basePrice: Schema.optionalKey(
    Schema.NullOr(Price).annotate({ description: "The menu's price; left out or null: the POS's price at each outlet" })
  ),
  specialPrice: Schema.optionalKey(
    Schema.NullOr(Price).annotate({ description: "A reduced price, at most the base price; left out or null: none" })
  )
}).annotate({ identifier: "SectionItemInput" })

export const SectionItems = Schema.Array(ItemInput)
  .pipe(Schema.check(Schema.isMaxLength(5000)))
  .annotate({
    identifier: "SectionItems",
    description:
      "The section's items, replacing the ones it had (at most 5,000). A product appears once per section (it may stand in several sections); a special price given beside a base price is at most that price.",
    examples: [
      [
        { productId: "prd_7d793037a0760186574b0282f2f435e7", position: 1, basePrice: 1290, specialPrice: 990 },
        { productId: "prd_0c2f8a3d4b5e6f708192a3b4c5d6e7f8", position: 2 }
      ]
    ]
  })

const RangeInput = Schema.Struct({ opens: Opens, closes: Closes })

export const HoursUpdate = Schema.Struct({
  timezone: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))).annotate({
    description:
      "IANA time zone of the menu's hours (not a fixed offset): they hold in local time across daylight saving",
    examples: ["Europe/Amsterdam"]
  }),
  weekly: Schema.Array(Schema.Struct({ dayOfWeek: DayOfWeek, opens: Opens, closes: Closes }))
    .pipe(Schema.check(Schema.isMaxLength(200)))
    .annotate({ description: "Opening ranges of each day of the week; a day without any is closed" }),
  exceptions: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        date: LocalDate,
        closed: Schema.optionalKey(Schema.Boolean.annotate({ description: "Closed all day (then no ranges)" })),
        ranges: Schema.optionalKey(Schema.Array(RangeInput).pipe(Schema.check(Schema.isMaxLength(20))))
      })
    )
      .pipe(Schema.check(Schema.isMaxLength(1000)))
      .annotate({ description: "Dates whose hours differ from the week's: closed all day, or these ranges instead" })
  )
}).annotate({
  identifier: "HoursUpdate",
  description:
    "The menu's opening hours. Ranges may run past midnight (`closes` before `opens`) and must not overlap; this is checked at publish, with the zone.",
  examples: [
    {
      timezone: "Europe/Amsterdam",
      weekly: [
        { dayOfWeek: 5, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 5, opens: "17:00", closes: "01:00" }
      ],
      exceptions: [{ date: "2026-12-25", closed: true }]
    }
  ]
})

export const StoresUpdate = Schema.Struct({
  outletIds: Schema.Array(OutletId)
    .pipe(Schema.check(Schema.isMaxLength(1000)))
    .annotate({ description: "The outlets the menu is assigned to, replacing the ones it had (each once)" })
}).annotate({
  identifier: "StoresUpdate",
  examples: [{ outletIds: ["out_5d41402abc4b2a76b9719d911017c592"] }]
})

// ---------------------------------------------------------------------------------------------------
// Answers

const Amount = Schema.Int.annotate({ description: "Minor units of the tenant's currency" })

export const DraftItem = Schema.Struct({
  productId: Schema.String,
  position: Schema.Int,
  basePrice: Schema.NullOr(Amount),
  specialPrice: Schema.NullOr(Amount)
}).annotate({ identifier: "DraftItem", description: "A product in a section, with the menu's prices" })

export const DraftSection = Schema.Struct({
  sectionId: Schema.String.annotate({ description: "`sec_` and 32 hex digits: kept through edits and publishing" }),
  name: Schema.String,
  displayType: DisplayType,
  position: Schema.Int,
  items: Schema.Array(DraftItem)
}).annotate({ identifier: "DraftSection" })

const Range = Schema.Struct({ opens: Schema.String, closes: Schema.String })
export const MenuHours = Schema.Struct({
  timezone: Schema.String,
  weekly: Schema.Array(Schema.Struct({ dayOfWeek: Schema.Int, ...Range.fields })),
  exceptions: Schema.Array(Schema.Struct({ date: Schema.String, closed: Schema.Boolean, ranges: Schema.Array(Range) }))
}).annotate({ identifier: "MenuHours", description: "Opening hours in local wall-clock time of the zone" })

const content = {
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  sections: Schema.Array(DraftSection),
  hours: Schema.NullOr(MenuHours).annotate({ description: "Null: no hours, the menu is always open" }),
  outletIds: Schema.Array(Schema.String)
}

export const DraftView = Schema.Struct({
  draftId: Schema.String,
  menuId: Schema.NullOr(Schema.String).annotate({
    description: "The published menu this draft edits; null until the draft is first published"
  }),
  version: Schema.Int.annotate({ description: "Increases with every write; also answered as the ETag" }),
  ...content,
  createdAt: DateTime,
  updatedAt: DateTime
}).annotate({ identifier: "Draft" })

export const PublishedMenuView = Schema.Struct({
  menuId: Schema.String,
  version: Schema.Int.annotate({ description: "The current version: 1 for the first publish, then one more for each" }),
  ...content,
  publishedAt: DateTime,
  draftId: Schema.NullOr(Schema.String).annotate({ description: "The draft editing this menu, if any" })
}).annotate({ identifier: "PublishedMenu" })

export const MenuSummary = Schema.Struct({
  menuId: Schema.String,
  version: Schema.Int,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  outletIds: Schema.Array(Schema.String),
  items: Schema.Int.annotate({ description: "Items in all its sections" }),
  publishedAt: DateTime
}).annotate({ identifier: "MenuSummary", description: "A published menu's current version, without its sections" })

export const MenuVersion = Schema.Struct({
  menuId: Schema.String,
  version: Schema.Int,
  name: Schema.String,
  items: Schema.Int,
  stores: Schema.Int.annotate({ description: "How many outlets that version was assigned to" }),
  publishedAt: DateTime
}).annotate({ identifier: "MenuVersion" })

export const PublishResult = Schema.Struct({
  menuId: Schema.String,
  version: Schema.Int,
  publishedAt: DateTime,
  created: Schema.Boolean.annotate({
    description: "False when the draft said exactly what the current version says: no version was created"
  })
}).annotate({ identifier: "PublishResult" })

/** The draft's version as an entity tag, answered on every read and write of a draft. */
export const DraftETag = {
  etag: Schema.String.annotate({
    description: 'The draft\'s version as an entity tag, `"<version>"`: send it as If-Match with the next write',
    examples: ['"3"']
  })
}

/** Every write to a draft names the version it was made against. */
export const IfMatch = {
  "if-match": Schema.optional(
    Schema.String.annotate({
      description:
        'The ETag of the draft this write was made against (`"3"`, from the last read or write). Required: without it 428 `precondition required`; an older one is a 409 `stale version` naming the current one.',
      examples: ['"3"']
    })
  )
}

// ---------------------------------------------------------------------------------------------------
// The effective menu of an outlet with V2 menus (GET /api/v1/outlets/{outletId}/menu)

export const UnavailableReason = Schema.Literals(["not-sold-here", "inactive", "snoozed", "paused", "closed"]).annotate(
  {
    description:
      "Why the item cannot be ordered at `at`, the first that applies: `not-sold-here` (this outlet's POS does not sell the product), `inactive` (its POS deactivated it here), `snoozed` (until `snoozedUntil`; null: until further notice), `paused` (the kitchen is in busy mode PAUSED), `closed` (the menu is closed)"
  }
)
