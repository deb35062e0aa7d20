/**
 * Structural equality of two canonical snapshots. They are plain JSON data built by this plugin's
 * own mappers with a fixed key order, so their JSON texts are equal exactly when the values are.
 */
export const sameSnapshot = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
