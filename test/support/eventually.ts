const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Polls until `check` answers a value (not undefined); fails with `describe()` after `timeoutMs`. */
export const eventually = async <A>(
  check: () => Promise<A | undefined> | A | undefined,
  timeoutMs: number,
  describe: () => string,
  everyMs = 50
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`)
    await sleep(everyMs)
  }
}
