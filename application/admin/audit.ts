import { Clock, Effect } from "effect"
import type { AdminActor } from "../../domain/admin.ts"
import { AuditLog } from "../ports/admin.ts"

/** Who is making an admin change, and from where: every change records it. */
export interface AdminCaller {
  readonly actor: AdminActor
  /** The client's address; null for the CLI working on the storage itself. */
  readonly address: string | null
}

export interface AuditFacts {
  readonly action: string
  readonly tenantId?: string | null
  readonly target?: string | null
  /** In words; never a secret (name a key by id and name, a credential by its outlet). */
  readonly summary: string
}

/** Records one admin change in the audit log, now. */
export const audit = (caller: AdminCaller, facts: AuditFacts) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.flatMap(AuditLog, (log) =>
      log.record({
        at: new Date(now),
        actor: caller.actor.name,
        action: facts.action,
        tenantId: facts.tenantId ?? null,
        target: facts.target ?? null,
        summary: facts.summary,
        address: caller.address
      })
    )
  )
