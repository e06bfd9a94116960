/**
 * @internal
 * Writes execution metrics in both Sidekiq layouts at once, so the Metrics
 * tab of 7.3 and of 8.1 both show Kiq's jobs (7.3.10 and 8.1.7
 * metrics/tracking.rb `flush`, metrics/shared.rb `Histogram#persist`). One
 * MULTI per flush, keyed by the flush time (UTC), as Sidekiq does:
 *
 * | key (src/redis/keys.ts)            | type            | TTL  | read by |
 * | ---------------------------------- | --------------- | ---- | ------- |
 * | `j\|YYYYMMDD\|H:M`                 | hash            | 8 h  | 7.x     |
 * | `<Class>-DD-HH:M`                  | BITFIELD string | 8 h  | 7.x     |
 * | `j\|YYMMDD\|H:MM`                  | hash            | 8 h  | 8.x     |
 * | `j\|YYMMDD\|H:M` (10 minutes)      | hash            | 72 h | 8.x     |
 * | `h\|<Class>-D-H:M`                 | BITFIELD string | 8 h  | 8.x     |
 *
 * Hash fields are `<Class>|p`, `<Class>|f` and `<Class>|ms` (HINCRBY, only
 * the ones with something to add, `|ms` only after a success, as Sidekiq);
 * histograms are `BITFIELD key OVERFLOW SAT INCRBY u16 #<bucket> <n> …`.
 * Sidekiq 6.4 reads none of these keys.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import {
  histogramKey7,
  histogramKey8,
  metricsKey7,
  metricsKey8,
  metricsTenMinuteKey8,
  metricsTime,
} from '../../redis/keys.js';
import type { MetricsSnapshot } from './execution-metrics.js';
import { HISTOGRAM_BUCKETS, HISTOGRAM_MAX } from './histogram.js';

/** TTL of the per-minute hashes and of the histograms: 8 h (Sidekiq `SHORT_TERM`, `HISTOGRAM_TTL`). */
export const METRICS_SHORT_TTL_SEC = 8 * 60 * 60;
/** TTL of 8.x's 10-minute hashes: 3 days (8.1 `MID_TERM`). */
export const METRICS_MID_TTL_SEC = 3 * 24 * 60 * 60;

/** The MULTI ran, but a command in it failed (a metrics key of another type): the rest took effect. */
export class MetricsCommandError extends Error {
  constructor(cause: Error) {
    super(`metrics: ${cause.message}`, { cause });
    this.name = 'MetricsCommandError';
  }
}

/** Queues the HINCRBYs of `snapshot` into hash `key` and its EXPIRE; returns the command count. */
function addHash(multi: ChainableCommander, key: string, snapshot: MetricsSnapshot, ttlSec: number): number {
  let commands = 0;
  for (const [name, m] of snapshot) {
    if (m.timed > 0) {
      multi.hincrby(key, `${name}|ms`, m.ms);
      commands++;
    }
    if (m.processed > 0) {
      multi.hincrby(key, `${name}|p`, m.processed);
      commands++;
    }
    if (m.failed > 0) {
      multi.hincrby(key, `${name}|f`, m.failed);
      commands++;
    }
  }
  multi.expire(key, ttlSec);
  return commands + 1;
}

/** The `OVERFLOW SAT INCRBY u16 #i n …` arguments of one histogram; empty when every bucket is 0. */
function bitfieldArgs(histogram: readonly number[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    const n = histogram[i]!;
    // OVERFLOW SAT caps the counter anyway; capping the increment keeps it a valid u16 step
    if (n > 0) args.push('INCRBY', 'u16', `#${i}`, String(Math.min(n, HISTOGRAM_MAX)));
  }
  return args.length === 0 ? args : ['OVERFLOW', 'SAT', ...args];
}

/**
 * Writes `snapshot` at `nowMs` in one MULTI (both layouts). Resolves with the
 * number of commands sent (0: nothing to write, no round trip). Rejects when
 * the transaction did not run (connection, EXECABORT): nothing was written;
 * or with {@link MetricsCommandError} when it ran but a command failed.
 */
export async function writeMetrics(redis: Redis, snapshot: MetricsSnapshot, nowMs: number): Promise<number> {
  if (snapshot.size === 0) return 0;
  const t = metricsTime(nowMs);
  const multi = redis.multi();
  let commands = 0;
  for (const [name, m] of snapshot) {
    const args = bitfieldArgs(m.histogram);
    if (args.length === 0) continue;
    for (const key of [histogramKey7(name, t), histogramKey8(name, t)]) {
      multi.call('BITFIELD', key, ...args).expire(key, METRICS_SHORT_TTL_SEC);
      commands += 2;
    }
  }
  commands += addHash(multi, metricsKey7(t), snapshot, METRICS_SHORT_TTL_SEC);
  commands += addHash(multi, metricsTenMinuteKey8(t), snapshot, METRICS_MID_TTL_SEC);
  commands += addHash(multi, metricsKey8(t), snapshot, METRICS_SHORT_TTL_SEC);
  const replies = await multi.exec();
  if (replies === null || replies.length < commands) throw new Error('metrics: Redis returned no reply for every command');
  const failed = replies.find(([error]) => error !== null);
  if (failed) throw new MetricsCommandError(failed[0]!);
  return commands;
}
