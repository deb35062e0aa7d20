import { Cause, Exit, Runtime } from "effect"

/**
 * How the process exits. A stop asked for by SIGTERM or SIGINT interrupts the main fiber; once
 * the drain and the closes have run that is a clean stop, exit 0, where Effect's default says 130
 * (supervisors would count every deploy as a crash). Failures keep the default codes.
 */
export const stopOnSignalTeardown: Runtime.Teardown = (exit, onExit) => {
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
  return Runtime.defaultTeardown(exit, onExit)
}
