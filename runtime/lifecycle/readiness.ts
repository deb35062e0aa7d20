import { Context } from "effect"

/**
 * Where the process is in its life, as `/readyz` reports it to a load balancer or orchestrator:
 * `starting` until the start-up work (storage, migrations, the demo tenant) is done, `ready` while
 * it serves, `draining` from the stop signal on: with SHUTDOWN_DELAY_MS the process keeps serving
 * that long with `/readyz` at 503, so traffic moves elsewhere before the port closes.
 * `/healthz` ignores it: a draining process is still alive.
 */
export type LifecyclePhase = "starting" | "ready" | "draining"

export interface Readiness {
  readonly phase: () => LifecyclePhase
}

/** The phase the process is in; main.ts moves it, the readyz handler reads it. */
export interface ReadinessSwitch extends Readiness {
  readonly markReady: () => void
  readonly markDraining: () => void
}

/** A switch that starts in `starting` and only moves forward (a draining process never becomes ready again). */
export const makeReadinessSwitch = (): ReadinessSwitch => {
  let phase: LifecyclePhase = "starting"
  return {
    phase: () => phase,
    markReady: () => {
      if (phase === "starting") phase = "ready"
    },
    markDraining: () => {
      phase = "draining"
    }
  }
}

/**
 * The process's readiness. In-process test apps never start or stop, so without main.ts's switch
 * the routes see a process that is ready.
 */
export const CurrentReadiness = Context.Reference<Readiness>("pos/runtime/lifecycle/Readiness", {
  defaultValue: () => ({ phase: () => "ready" })
})

/** Why /readyz answers 503 in a phase other than `ready` (the envelope's details). */
export const notReadyDetails: Record<Exclude<LifecyclePhase, "ready">, string> = {
  starting: "the service is starting",
  draining: "the service is shutting down"
}
