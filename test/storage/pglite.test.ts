import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { storageContract } from "./contract.ts"

storageContract("PGlite", () => layerPgliteStorage({ dataDir: undefined, tenantPoolSize: 1 }))
