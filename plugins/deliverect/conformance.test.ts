import { conformanceSuite } from "@pos-integration/plugin-conformance"
import { fixtures } from "./fixtures/index.ts"
import plugin from "./index.ts"

conformanceSuite(plugin, { ...fixtures, webhookAuth: "signature" })
