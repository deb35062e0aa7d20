/**
 * The conformance kit (SPEC section 12): one suite any POS plugin runs against itself.
 *
 *   import { conformanceSuite } from "@pos-integration/plugin-conformance"
 *   import plugin from "./index.ts"
 *   import { fixtures } from "./fixtures/index.ts"
 *   conformanceSuite(plugin, fixtures)
 */
import "./effect-copies.ts"
export type {
  CatalogCounts,
  CatalogFixture,
  ConformanceFixtures,
  FakeOrderAnswer,
  FakeOrderServer,
  FakeServer,
  OrderFixture,
  OutletFixture,
  PullFixture,
  WebhookFixture
} from "./fixtures.ts"
export { type TestCallContext, testCallContext, type VaultRecord } from "./call-context.ts"
export { conformanceSuite } from "./suite.ts"
