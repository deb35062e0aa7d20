import { Effect, Layer } from "effect"
import type { TenantDirectory } from "../application/ports/tenant-directory.ts"
import type { TenantStorage } from "../application/ports/tenant-storage.ts"
import { layerMemoryStorage } from "../adapters/storage/memory/memory-storage.ts"
import { StorageError } from "../domain/errors.ts"
import type { AppSettings } from "./config.ts"

/** The storage adapter the configuration selects. */
export const storageLayer = (settings: AppSettings): Layer.Layer<TenantDirectory | TenantStorage, StorageError> => {
  switch (settings.storage) {
    case "memory":
      return layerMemoryStorage
    default:
      return Layer.effectContext(
        Effect.fail(new StorageError({ operation: "open storage", cause: `${settings.storage} is not available yet` }))
      )
  }
}
