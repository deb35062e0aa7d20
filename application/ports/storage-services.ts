import type { AdminKeys, AuditLog } from "./admin.ts"
import type { DatabaseUsage } from "./database-usage.ts"
import type { SigningKeys } from "./oauth.ts"
import type { OrderDueIndex } from "./order-due-index.ts"
import type { PullSchedules } from "./pull-schedules.ts"
import type { RateLimitBuckets } from "./rate-limit-buckets.ts"
import type { TenantDirectory } from "./tenant-directory.ts"
import type { TenantStorage } from "./tenant-storage.ts"

/** What a storage adapter provides: the control database's services, and each tenant's storage. */
export type StorageServices =
  | TenantDirectory
  | TenantStorage
  | PullSchedules
  | OrderDueIndex
  | AdminKeys
  | AuditLog
  | SigningKeys
  | RateLimitBuckets
  | DatabaseUsage
