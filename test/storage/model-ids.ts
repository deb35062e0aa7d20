/**
 * The ids a model test hands to a store's operations: one of the rows it inserted, or (one time in
 * n + 1) an id no row has, above every id the store held before, so "unknown" is exercised too.
 */
export const modelIds = (existing: Iterable<number> = []) => {
  const ids: Array<number> = []
  const unknown = Math.max(0, ...existing) + 999_999
  return {
    add: (id: number) => {
      ids.push(id)
    },
    has: (id: number) => ids.includes(id),
    at: (index: number) => (ids.length === 0 ? unknown : (ids[index % (ids.length + 1)] ?? unknown))
  }
}

/** A model's rows in the store's listing order: by id. */
export const byId = <R extends { readonly id: number }>(model: ReadonlyMap<number, R>): Array<R> =>
  [...model.values()].sort((x, y) => x.id - y.id)
