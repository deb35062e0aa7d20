import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { StorageError } from "../../../domain/errors.ts"
import { generateKey, isKeyRing, type KeyRing, parseKeyRing } from "../../crypto/credential-sealer.ts"

/** The embedded mode's credentials key, beside the database in the data directory. */
export const credentialsKeyFileName = "credentials.key"

const failure = (cause: string) => new StorageError({ operation: "read the credentials key", cause })

/**
 * The data directory's credentials key: read when the file exists, otherwise (when `create`) made
 * once and kept, readable by its owner only (0600), and used on every later start. The file holds
 * one `id:base64key` line, the format of CREDENTIALS_KEYS. Written beside it and renamed into
 * place, so a crash never leaves half a key. Runs under the data directory's lock.
 */
export const dataDirKeyRing = (dataDir: string, create: boolean): Effect.Effect<KeyRing | undefined, StorageError> =>
  Effect.suspend(() => {
    const path = join(dataDir, credentialsKeyFileName)
    const source = `the key file ${path}`
    if (existsSync(path)) {
      let text: string
      try {
        text = readFileSync(path, "utf8")
      } catch (cause) {
        return Effect.fail(new StorageError({ operation: `read ${source}`, cause }))
      }
      const ring = parseKeyRing(text, source)
      if (!isKeyRing(ring)) return Effect.fail(failure(`${source}: ${ring.problem}`))
      return Effect.succeed(ring)
    }
    if (!create) return Effect.succeed(undefined)
    const made = generateKey("local-")
    const draft = `${path}.${process.pid}.new`
    try {
      const fd = openSync(draft, "w", 0o600)
      try {
        writeSync(fd, `${made.entry}\n`)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      // The mode given to open is masked by the umask, which cannot widen it; set it anyway.
      chmodSync(draft, 0o600)
      renameSync(draft, path)
    } catch (cause) {
      return Effect.fail(new StorageError({ operation: `write ${source}`, cause }))
    }
    return Effect.succeed({ keys: [made.key], source })
  })
