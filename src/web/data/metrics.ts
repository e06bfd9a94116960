/**
 * @internal
 * Per-class execution metrics as Sidekiq 7.x and 8.x servers write them
 * (`Sidekiq::Metrics::ExecutionTracker#flush`): hashes of `CLASS|p`
 * (processed), `CLASS|f` (failed) and `CLASS|ms` (run time of successful
 * executions), one per minute and, in 8.x, one per 10 minutes:
 *
 * - 7.x minute: `j|YYYYMMDD|H:M` (hour and minute unpadded), kept 8 hours;
 * - 8.x minute: `j|YYMMDD|H:MM`, kept 8 hours;
 * - 8.x 10-minute: `j|YYMMDD|H:T` (T = tens of the minute), kept 3 days.
 *
 * Reading a period sums every bucket of every layout in one pipeline of
 * `HGETALL`s: a cluster runs one Sidekiq version, so no bucket is counted
 * twice. Kiq for Node itself writes no metrics keys yet.
 */
import type { Redis } from 'ioredis';
import { checkReplies } from '../../server/ops/redis-call.js';

/** One class over the period. */
export interface ClassMetrics {
  readonly klass: string;
  readonly processed: number;
  readonly failed: number;
  /** Total run time of the successful executions, ms. */
  readonly totalMs: number;
  /** `totalMs / (processed - failed)`, `undefined` when none succeeded. */
  readonly meanMs: number | undefined;
}

/** Longest period answered from minute buckets (their TTL). */
const MINUTE_BUCKETS_MAX = 8 * 60;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The bucket keys covering the `minutes` before `nowMs` (UTC). */
export function metricsKeys(minutes: number, nowMs: number): string[] {
  const keys: string[] = [];
  if (minutes <= MINUTE_BUCKETS_MAX) {
    for (let i = 0; i < minutes; i++) {
      const t = new Date(nowMs - i * 60_000);
      const y = t.getUTCFullYear();
      const md = `${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
      keys.push(`j|${y}${md}|${t.getUTCHours()}:${t.getUTCMinutes()}`, `j|${pad(y % 100)}${md}|${t.getUTCHours()}:${pad(t.getUTCMinutes())}`);
    }
    return keys;
  }
  for (let i = 0; i < Math.ceil(minutes / 10); i++) {
    const t = new Date(nowMs - i * 600_000);
    keys.push(`j|${pad(t.getUTCFullYear() % 100)}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}|${t.getUTCHours()}:${Math.floor(t.getUTCMinutes() / 10)}`);
  }
  return keys;
}

/**
 * Per-class totals over the last `minutes` (at most 3 days), busiest first.
 *
 * @example
 * const lastHour = await readMetrics(redis, 60);
 */
export async function readMetrics(redis: Redis, minutes: number, nowMs: number = Date.now()): Promise<ClassMetrics[]> {
  const keys = metricsKeys(minutes, nowMs);
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const hashes = checkReplies(await pipeline.exec(), keys.length, 'metrics') as Record<string, string>[];
  const sums = new Map<string, { p: number; f: number; ms: number }>();
  for (const hash of hashes) {
    for (const [field, value] of Object.entries(hash)) {
      const bar = field.lastIndexOf('|');
      if (bar <= 0) continue;
      const klass = field.slice(0, bar);
      const metric = field.slice(bar + 1);
      if (metric !== 'p' && metric !== 'f' && metric !== 'ms') continue;
      const sum = sums.get(klass) ?? { p: 0, f: 0, ms: 0 };
      sum[metric] += Number(value) || 0;
      sums.set(klass, sum);
    }
  }
  return [...sums.entries()]
    .map(([klass, { p, f, ms }]) => ({ klass, processed: p, failed: f, totalMs: ms, meanMs: p - f > 0 ? ms / (p - f) : undefined }))
    .sort((a, b) => b.totalMs - a.totalMs || b.processed - a.processed || a.klass.localeCompare(b.klass));
}
