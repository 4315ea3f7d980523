/**
 * Milliseconds from an arbitrary origin, for durations and rates (words/s,
 * ETA, `HostYield`'s time slices): `performance.now()` where the runtime has
 * it (Node, browsers, workerd), else `Date.now()`.
 */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
