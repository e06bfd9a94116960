/**
 * Per-class execution metrics as the Metrics tab of Sidekiq 7.x and 8.x
 * reads them: hashes of `<Class>|p` (performed, failures included),
 * `<Class>|f` (failed) and `<Class>|ms` (run time of the successful
 * executions), one per minute and, in 8.x, one per 10 minutes (key layouts
 * in src/redis/keys.ts; Sidekiq 7.3 and 8.1 metrics/tracking.rb `flush`):
 *
 * | bucket              | written by                | kept |
 * | ------------------- | ------------------------- | ---- |
 * | `j\|YYYYMMDD\|H:M`  | Sidekiq 7.x, Kiq          | 8 h  |
 * | `j\|YYMMDD\|H:MM`   | Sidekiq 8.x, Kiq          | 8 h  |
 * | `j\|YYMMDD\|H:T`    | Sidekiq 8.x, Kiq (10 min) | 3 d  |
 *
 * Kiq writes every layout at once (src/server/metrics/write-metrics.ts), so
 * a minute's 7.x and 8.x hashes hold the same jobs twice: per minute, each
 * counter is the larger of the two layouts' values, not their sum. That is
 * exact for Kiq alone, Sidekiq 7 or 8 alone, and Kiq beside either of them
 * (the layout Sidekiq also writes holds the larger count); only Sidekiq 7
 * and 8 servers on one Redis at once would be undercounted.
 */
import type { Redis } from 'ioredis';
import { AdminError } from '../errors.js';
import { metricsKey7, metricsKey8, metricsTenMinuteKey8, metricsTime } from '../redis/keys.js';
import { checkReplies } from '../redis/call.js';

/** One job class over a period of {@link readMetrics}. */
export interface JobClassMetrics {
  /** The class as the metrics name it (ActiveJob's `wrapped` class, else `class`). */
  readonly class: string;
  /** Executions, failures included (`|p`). */
  readonly processed: number;
  /** Executions that raised (`|f`). */
  readonly failed: number;
  /** Total run time of the successful executions, ms (`|ms`). */
  readonly totalMs: number;
  /** `totalMs / (processed - failed)`; `undefined` when none succeeded. */
  readonly meanMs: number | undefined;
}

/** Longest period, minutes: 3 days, what Sidekiq 8 keeps of its 10-minute buckets. */
export const MAX_METRICS_MINUTES = 3 * 24 * 60;

/** Longest period answered from the per-minute buckets (their TTL, 8 hours); longer ones read 8.x's 10-minute buckets. */
const MINUTE_BUCKETS_MAX = 8 * 60;

/**
 * The buckets covering the `minutes` up to `nowMs` (UTC), newest first;
 * each bucket lists its keys in every layout that has one.
 *
 * @example
 * metricsBuckets(2, Date.UTC(2026, 11, 3, 8, 4)); // [['j|20261203|8:4', 'j|261203|8:04'], ['j|20261203|8:3', 'j|261203|8:03']]
 */
export function metricsBuckets(minutes: number, nowMs: number): string[][] {
  if (minutes <= MINUTE_BUCKETS_MAX) {
    return Array.from({ length: minutes }, (_, i) => {
      const t = metricsTime(nowMs - i * 60_000);
      return [metricsKey7(t), metricsKey8(t)];
    });
  }
  return Array.from({ length: Math.ceil(minutes / 10) }, (_, i) => [metricsTenMinuteKey8(metricsTime(nowMs - i * 600_000))]);
}

type Counters = { p: number; f: number; ms: number };

/**
 * Per-class totals over the last `minutes` (1 to 4320), busiest (most run
 * time) first: one pipeline of `HGETALL`s, one per bucket and layout (up to
 * 960 for 8 hours). Throws `AdminError` (`invalid-argument`) for another
 * `minutes`.
 *
 * @example
 * for (const m of await readMetrics(redis, 60)) console.log(m.class, m.processed, m.failed, m.meanMs);
 */
export async function readMetrics(redis: Redis, minutes: number, nowMs: number = Date.now()): Promise<JobClassMetrics[]> {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_METRICS_MINUTES) {
    throw new AdminError('invalid-argument', `metrics: minutes must be an integer from 1 to ${MAX_METRICS_MINUTES}, got ${minutes}`);
  }
  const buckets = metricsBuckets(minutes, nowMs);
  const pipeline = redis.pipeline();
  for (const keys of buckets) for (const key of keys) pipeline.hgetall(key);
  const count = buckets.reduce((n, keys) => n + keys.length, 0);
  const hashes = checkReplies(await pipeline.exec(), count, 'metrics') as Record<string, string>[];
  const sums = new Map<string, Counters>();
  let next = 0;
  for (const keys of buckets) {
    const bucket = new Map<string, Counters>();
    for (const hash of hashes.slice(next, next + keys.length)) {
      for (const [field, value] of Object.entries(hash)) {
        const bar = field.lastIndexOf('|');
        const name = field.slice(0, bar);
        const metric = field.slice(bar + 1);
        if (bar <= 0 || (metric !== 'p' && metric !== 'f' && metric !== 'ms')) continue;
        const counters = bucket.get(name) ?? { p: 0, f: 0, ms: 0 };
        counters[metric] = Math.max(counters[metric], Number(value) || 0); // the layouts hold the same jobs: max, not sum
        bucket.set(name, counters);
      }
    }
    next += keys.length;
    for (const [name, { p, f, ms }] of bucket) {
      const sum = sums.get(name) ?? { p: 0, f: 0, ms: 0 };
      sums.set(name, { p: sum.p + p, f: sum.f + f, ms: sum.ms + ms });
    }
  }
  return [...sums]
    .map(([name, { p, f, ms }]) => ({ class: name, processed: p, failed: f, totalMs: ms, meanMs: p - f > 0 ? ms / (p - f) : undefined }))
    .sort((a, b) => b.totalMs - a.totalMs || b.processed - a.processed || a.class.localeCompare(b.class));
}
