import { Effect, Schema } from "effect"
import { manifestFrom } from "../../application/pos-sdk/manifest.ts"
import type {
  CallOutlet,
  PosCallContext,
  PosCredentials,
  PosPlugin,
  PullFailure
} from "../../application/pos-sdk/plugin.ts"
import type { CatalogSnapshot, OutletSnapshot, ProductSnapshot } from "../../domain/catalog.ts"

/**
 * A POS that can be pulled, in memory: what it answers per outlet and per account is set by the
 * test (a snapshot, or a failure), every fetch is recorded, and a fetch can be made to take time.
 * A push of it is the snapshot itself, so a push and a pull of the same catalog can be compared.
 */
export interface FakePullPos {
  readonly plugin: PosPlugin
  /** Per outlet: the answer, or answers in turn (the last one repeats). */
  readonly catalogs: Map<string, Answer<CatalogSnapshot> | Array<Answer<CatalogSnapshot>>>
  readonly outlets: Map<string, ReadonlyArray<OutletSnapshot> | PullFailure>
  readonly fetches: Array<{
    readonly kind: "outlets" | "catalog"
    readonly target: string
    readonly context: PosCallContext
    /** When it started (epoch ms). */
    readonly at: number
  }>
  /** How long each fetch takes, in ms (0: at once). */
  delayMs: number
  /** Fetches running now, and the most that ever ran at once. */
  readonly running: { now: number; most: number }
}

type Answer<A> = A | PullFailure

const isFailure = (value: unknown): value is PullFailure =>
  typeof value === "object" && value !== null && "_tag" in value

export const makeFakePullPos = (id = "fakepull", capabilities = ["outlets", "catalog", "pull"]): FakePullPos => {
  const pos: FakePullPos = {
    plugin: undefined as unknown as PosPlugin,
    catalogs: new Map(),
    outlets: new Map(),
    fetches: [],
    delayMs: 0,
    running: { now: 0, most: 0 }
  }
  const fetch = <A>(answer: Answer<A> | undefined, missing: string): Effect.Effect<A, PullFailure> =>
    Effect.gen(function* () {
      pos.running.now++
      pos.running.most = Math.max(pos.running.most, pos.running.now)
      if (pos.delayMs > 0) yield* Effect.sleep(pos.delayMs)
      if (answer === undefined) return yield* Effect.die(new Error(`the test set no answer for ${missing}`))
      return isFailure(answer) ? yield* Effect.fail(answer) : (answer as A)
    }).pipe(Effect.ensuring(Effect.sync(() => pos.running.now--)))
  const plugin = {
    manifest: manifestFrom({ id, displayName: "Fake pull POS", version: "1.0.0", sdkVersion: 2, capabilities }),
    credentials: {
      outlet: Schema.Struct({ token: Schema.String }),
      account: Schema.Struct({ clientSecret: Schema.String })
    },
    decodeOutlets: (payload: unknown) => Effect.succeed(payload as ReadonlyArray<OutletSnapshot>),
    decodeCatalog: (payload: unknown) => Effect.succeed(payload as CatalogSnapshot),
    ...(capabilities.includes("pull")
      ? {
          pull: {
            fetchOutlets: (context: PosCallContext) => {
              pos.fetches.push({ kind: "outlets", target: context.accountId ?? "", context, at: Date.now() })
              return fetch(pos.outlets.get(context.accountId ?? ""), `the outlets of ${context.accountId}`)
            },
            fetchCatalog: (outlet: CallOutlet, context: PosCallContext) => {
              pos.fetches.push({ kind: "catalog", target: outlet.externalId, context, at: Date.now() })
              const answers = pos.catalogs.get(outlet.externalId)
              const answer = Array.isArray(answers) ? (answers.length > 1 ? answers.shift() : answers[0]) : answers
              return fetch(answer, `the catalog of ${outlet.externalId}`)
            }
          }
        }
      : {})
  }
  ;(pos as { plugin: PosPlugin }).plugin = plugin as unknown as PosPlugin
  return pos
}

export const outlet = (externalId: string, fields: Partial<OutletSnapshot> = {}): OutletSnapshot => ({
  externalId,
  name: `Outlet ${externalId}`,
  active: true,
  currency: "SGD",
  timezone: null,
  country: null,
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: null,
  serviceHours: [],
  identifiers: { site: `site-${externalId}` },
  accountId: null,
  ...fields
})

export const product = (externalId: string, price: number): ProductSnapshot => ({
  externalId,
  posCode: externalId.toUpperCase(),
  name: `Product ${externalId}`,
  description: null,
  imageUrl: null,
  price,
  taxRatePpm: 90_000,
  modifierGroupIds: [],
  snoozedUntil: null
})

/** A catalog of products `p0`..`p<n-1>` (price 100 + i, or as given), in one menu. */
export const catalog = (count: number, priceOf: (i: number) => number = (i) => 100 + i): CatalogSnapshot => {
  const products = Array.from({ length: count }, (_, i) => product(`p${i}`, priceOf(i)))
  return {
    outletIds: [],
    products,
    modifierGroups: [],
    modifierOptions: [],
    menus: [
      {
        externalId: "all-day",
        name: "All day",
        availabilities: [{ dayOfWeek: 1, opens: "08:00", closes: "22:00" }],
        sections: [
          {
            externalId: "mains",
            name: "Mains",
            position: 0,
            productIds: products.map((p) => p.externalId),
            subSections: []
          }
        ]
      }
    ],
    callback: null
  }
}

/** A call context as the runtime builds one, with credentials holding secrets a message must never show. */
export const contextWith = (
  outletRef: CallOutlet | null,
  accountId: string | null,
  credentials: PosCredentials<unknown, unknown> = {
    outlet: { token: "tok-outlet-5e3c9a" },
    account: { clientSecret: "cs-account-71f0b2" }
  }
): PosCallContext => ({
  outlet: outletRef,
  accountId,
  credentials,
  vault: {
    outlet: { save: () => Effect.void, rotate: () => Effect.die("no rotation in this test") },
    account: { save: () => Effect.void, rotate: () => Effect.die("no rotation in this test") }
  },
  http: undefined as never
})
