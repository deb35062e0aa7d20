import type {
  InvalidInput,
  InvalidPayload,
  NotFound,
  StorageError,
  SyncInProgress,
  TooManyDeactivations
} from "../../domain/errors.ts"
import type { UnreadableCredentials } from "../ports/pos-credentials.ts"
import type { PullFailure } from "../pos-sdk/plugin.ts"

/** Every way one step of a pull can fail: the call context, the plugin's fetch, the sync. */
export type PullStepError =
  | PullFailure
  | UnreadableCredentials
  | StorageError
  | InvalidPayload
  | InvalidInput
  | NotFound
  | SyncInProgress
  | TooManyDeactivations

/** A failed step, as the sync history and the job show it. */
export interface PullProblem {
  /** The error's tag (`PosUnavailable`, `MissingCredentials`, ...). */
  readonly error: string
  /** In plain words, without credentials. */
  readonly message: string
  /** Worth another try later (the POS or the database was unreachable, the outlet busy); else final. */
  readonly retryable: boolean
  /** The outlet concerned (the POS's id), or null for an account's outlet list. */
  readonly outlet: string | null
}

const issueText = (issues: ReadonlyArray<{ readonly path: string; readonly message: string }>) => {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`)
  return issues.length > 5 ? `${shown.join("; ")}; and ${issues.length - 5} more` : shown.join("; ")
}

/** A failure in the terms an operator reads in the sync history and the job's `lastError`. */
export const describeFailure = (error: PullStepError, outlet: string | null): PullProblem => {
  const problem = (message: string, retryable: boolean): PullProblem => ({
    error: error._tag === "InvalidPayload" ? "PayloadRejected" : error._tag,
    message,
    retryable,
    outlet
  })
  switch (error._tag) {
    case "PosUnavailable":
      return problem(`the POS could not be reached or answered with an error: ${error.reason}`, true)
    case "PosRejected":
      return problem(
        `the POS refused the request${error.status === null ? "" : ` (HTTP ${error.status})`}: ${error.reason}`,
        false
      )
    case "MissingCredentials":
      return problem(`${error.level} credentials: ${error.reason}`, false)
    case "UnreadableCredentials":
      return problem(`${error.level} credentials cannot be used: ${error.reason}`, false)
    case "PayloadRejected":
    case "InvalidPayload":
      return problem(`the POS answered a catalog that breaks the rules: ${issueText(error.issues)}`, false)
    case "InvalidInput":
      return problem(error.details, false)
    case "NotFound":
      return problem(`no ${error.resource} '${error.id}'`, false)
    case "SyncInProgress":
      return problem("another sync of the outlet held it too long", true)
    case "TooManyDeactivations":
      return problem(
        `the pulled catalog would deactivate ${error.deactivating} of the outlet's ${error.active} active products (more than ${error.limitPercent}%); nothing was applied`,
        false
      )
    case "StorageError":
      return problem(`${error.operation} failed`, true)
  }
}

/** Every text of the credentials, however deeply nested (tokens, secrets, client ids). */
const secretTexts = (value: unknown, into: Set<string>): Set<string> => {
  if (typeof value === "string") {
    // Short values (a region code, "true") are not secrets and would mask ordinary words.
    if (value.length >= 6) into.add(value)
  } else if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) secretTexts(child, into)
  }
  return into
}

/**
 * A message never carries credentials: any text of the call's credentials (either level) found in
 * it is masked, and so is a URL's user and password and a `token=`, `secret=` or `password=`
 * parameter, wherever a plugin quoted them (an error echoing a request URL). Capped in length.
 */
export const scrubSecrets = (
  message: string,
  context: { readonly credentials: { readonly outlet: unknown; readonly account: unknown } } | null
): string => {
  let text = message
  if (context !== null) {
    const secrets = [...secretTexts(context.credentials.account, secretTexts(context.credentials.outlet, new Set()))]
    // Longest first: a secret containing another is masked whole.
    for (const secret of secrets.sort((a, b) => b.length - a.length)) text = text.split(secret).join("***")
  }
  text = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, "$1***@")
    .replace(/((?:access_?token|refresh_?token|token|secret|password|api_?key)=)[^&\s]*/gi, "$1***")
    .replace(/(bearer\s+)\S+/gi, "$1***")
  return text.length > 500 ? `${text.slice(0, 497)}...` : text
}
