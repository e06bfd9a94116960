/**
 * @internal
 * Sidekiq's run-time histogram buckets (7.3 and 8.1 metrics/shared.rb
 * `Histogram::BUCKET_INTERVALS`): 26 buckets, each counting runs shorter
 * than its bound in ms and not shorter than the previous one's; the last
 * one takes everything from 335 s on. Stored as 26 `u16` BITFIELD counters.
 */

/** Upper bound (exclusive) of each bucket, ms; the last is Sidekiq's `1e20`. */
export const HISTOGRAM_BOUNDS_MS: readonly number[] = Object.freeze([
  20, 30, 45, 65, 100, 150, 225, 335, 500, 750, 1100, 1700, 2500, 3800, 5750, 8500, 13000, 20000, 30000, 45000, 65000, 100000,
  150000, 225000, 335000, 1e20,
]);

/** Number of buckets (26). */
export const HISTOGRAM_BUCKETS = HISTOGRAM_BOUNDS_MS.length;

/** Largest value of a bucket's `u16` counter: BITFIELD `OVERFLOW SAT` stops there. */
export const HISTOGRAM_MAX = 0xffff;

/**
 * The bucket of a run of `ms` milliseconds (whole ms, as Sidekiq measures).
 *
 * @example
 * bucketOf(7);     // 0  (under 20 ms)
 * bucketOf(280);   // 7  (225–335 ms)
 * bucketOf(12001); // 16 (8.5–13 s)
 */
export function bucketOf(ms: number): number {
  for (let i = 0; i < HISTOGRAM_BUCKETS - 1; i++) if (ms < HISTOGRAM_BOUNDS_MS[i]!) return i;
  return HISTOGRAM_BUCKETS - 1;
}
