import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { storageContract } from "./contract.ts"

storageContract("memory", () => layerMemoryStorage)
