/** Fires `count` requests at once: the responses in the order sent, and how long they all took. */
export const burst = async (count: number, request: () => Promise<Response>) => {
  const started = performance.now()
  const responses = await Promise.all(Array.from({ length: count }, request))
  return { responses, elapsedMs: performance.now() - started }
}

/** Tokens a bucket of `rate` a second earns while a burst is answered: what may pass beyond its burst. */
export const refillDuring = (elapsedMs: number, rate: number) => Math.ceil((elapsedMs / 1000) * rate)
