import { Layer, Logger, References } from "effect"
import type { AppSettings } from "./config.ts"

const levels = { debug: "Debug", info: "Info", warning: "Warn", error: "Error" } as const

/**
 * One logger for the process: JSON lines when LOG_FORMAT=json (for log shippers), readable lines
 * otherwise. Log annotations never carry a key or a secret: middleware logs reasons, not values.
 */
export const loggingLayer = (settings: Pick<AppSettings, "logFormat" | "logLevel">) =>
  Layer.mergeAll(
    Logger.layer([settings.logFormat === "json" ? Logger.consoleJson : Logger.consolePretty({ colors: "auto" })]),
    Layer.succeed(References.MinimumLogLevel, levels[settings.logLevel])
  )
