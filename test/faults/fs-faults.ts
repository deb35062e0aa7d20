/**
 * A file system that fails under one directory, for the fault suite: loaded into the service
 * process with `NODE_OPTIONS=--import <this file>`. As root (CI) permissions do not stop a write and
 * no disk here is full, so the faults are injected where every writer in the process goes through:
 * node's `fs` (the lock, the key and endpoint files, and PGlite's own files, which PGlite's NODEFS
 * reaches through the same module).
 *
 * FS_FAULT_DIR: the directory; FS_FAULT: `unwritable` (every write, create, rename or removal is
 * EACCES), `full` (every write of data is ENOSPC) or `none`. FS_FAULT_CONTROL: a file whose text
 * becomes the mode whenever the process gets SIGUSR2 (the disk fills up, or is freed, mid-run).
 */
import fs from "node:fs"
import { syncBuiltinESMExports } from "node:module"
import { resolve, sep } from "node:path"

type Mode = "none" | "unwritable" | "full"

const root = process.env["FS_FAULT_DIR"]
let mode = (process.env["FS_FAULT"] ?? "none") as Mode
const control = process.env["FS_FAULT_CONTROL"]

if (root !== undefined) {
  const base = resolve(root)
  const under = (path: unknown) => {
    if (typeof path !== "string" && !(path instanceof URL) && !Buffer.isBuffer(path)) return false
    const absolute = resolve(path instanceof URL ? path.pathname : path.toString())
    return absolute === base || absolute.startsWith(base + sep)
  }
  /** File descriptors opened under the directory. */
  const tracked = new Set<number>()

  const failure = (code: "EACCES" | "ENOSPC", syscall: string, path?: unknown) => {
    const text = code === "EACCES" ? "permission denied" : "no space left on device"
    return Object.assign(new Error(`${code}: ${text}, ${syscall}${path === undefined ? "" : ` '${String(path)}'`}`), {
      code,
      errno: code === "EACCES" ? -13 : -28,
      syscall,
      ...(path === undefined ? {} : { path: String(path) })
    })
  }
  const writes = (flags: unknown) =>
    typeof flags === "number"
      ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC)) !== 0
      : typeof flags === "string" && /[wa+]/.test(flags)

  const patch = <K extends keyof typeof fs>(name: K, wrap: (original: (typeof fs)[K]) => (typeof fs)[K]) => {
    const original = fs[name]
    ;(fs as Record<string, unknown>)[name] = wrap(original)
  }
  /** A call on a path: refused as the mode says when the path is under the directory. */
  const onPath =
    (name: string, refusedWhen: ReadonlyArray<Mode>, code: (m: Mode) => "EACCES" | "ENOSPC") =>
    <F extends (...args: Array<never>) => unknown>(original: F): F =>
      ((...args: Parameters<F>) => {
        if (refusedWhen.includes(mode) && under(args[0])) throw failure(code(mode), name, args[0])
        return original(...args)
      }) as F
  const accessDenied = () => "EACCES" as const
  const byMode = (m: Mode) => (m === "unwritable" ? "EACCES" : "ENOSPC")

  patch(
    "openSync",
    (original) =>
      ((path: fs.PathLike, flags?: fs.OpenMode, m?: fs.Mode) => {
        if (mode === "unwritable" && under(path) && writes(flags)) throw failure("EACCES", "open", path)
        const fd = (original as (p: fs.PathLike, f?: fs.OpenMode, m?: fs.Mode) => number)(path, flags, m)
        if (under(path)) tracked.add(fd)
        return fd
      }) as typeof fs.openSync
  )
  patch(
    "closeSync",
    (original) =>
      ((fd: number) => {
        tracked.delete(fd)
        return original(fd)
      }) as typeof fs.closeSync
  )
  patch(
    "writeSync",
    (original) =>
      ((fd: number, ...rest: Array<unknown>) => {
        if (mode !== "none" && tracked.has(fd)) throw failure(byMode(mode), "write")
        return (original as (...a: Array<unknown>) => number)(fd, ...rest)
      }) as typeof fs.writeSync
  )
  patch(
    "ftruncateSync",
    (original) =>
      ((fd: number, length?: number) => {
        if (mode !== "none" && tracked.has(fd) && (length ?? 0) > 0) throw failure(byMode(mode), "ftruncate")
        return original(fd, length)
      }) as typeof fs.ftruncateSync
  )
  patch("writeFileSync", onPath("open", ["unwritable", "full"], byMode))
  patch("appendFileSync", onPath("open", ["unwritable", "full"], byMode))
  // mkdir -p of a directory that exists succeeds on a full or read-only file system too.
  patch("mkdirSync", (original) => {
    const refusing = onPath("mkdir", ["unwritable", "full"], byMode)(original)
    return ((path: fs.PathLike, options?: fs.MakeDirectoryOptions) =>
      fs.existsSync(path) && typeof options === "object" && options?.recursive === true
        ? original(path, options)
        : refusing(path, options)) as typeof fs.mkdirSync
  })
  patch("mkdtempSync", onPath("mkdtemp", ["unwritable", "full"], byMode))
  patch("copyFileSync", onPath("copyfile", ["unwritable", "full"], byMode))
  patch("cpSync", onPath("cp", ["unwritable", "full"], byMode))
  patch("renameSync", onPath("rename", ["unwritable"], accessDenied))
  patch("linkSync", onPath("link", ["unwritable"], accessDenied))
  patch("unlinkSync", onPath("unlink", ["unwritable"], accessDenied))
  patch("rmSync", onPath("rm", ["unwritable"], accessDenied))
  patch("rmdirSync", onPath("rmdir", ["unwritable"], accessDenied))
  patch("truncateSync", onPath("truncate", ["unwritable", "full"], byMode))
  patch("symlinkSync", onPath("symlink", ["unwritable", "full"], byMode))
  patch("chmodSync", onPath("chmod", ["unwritable"], accessDenied))
  // Named imports of node:fs see the patched functions too.
  syncBuiltinESMExports()

  if (control !== undefined) {
    process.on("SIGUSR2", () => {
      mode = fs.readFileSync(control, "utf8").trim() as Mode
    })
  }
}
