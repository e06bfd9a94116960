/**
 * @internal
 * The dashboard's history graph: the daily counters
 * `stat:processed:YYYY-MM-DD` and `stat:failed:YYYY-MM-DD` (UTC) of the last
 * days, read with one `MGET` each, as Sidekiq's `Stats::History`.
 */
import type { Redis } from 'ioredis';
import { statKey } from '../../redis/keys.js';
import { checkReplies } from '../../server/ops/redis-call.js';

/** One day of counters. */
export interface HistoryDay {
  /** UTC date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly processed: number;
  readonly failed: number;
}

/**
 * The last `days` days (oldest first, today last).
 *
 * @example
 * const week = await readHistory(redis, 7);
 */
export async function readHistory(redis: Redis, days: number, nowMs: number = Date.now()): Promise<HistoryDay[]> {
  const dates: string[] = [];
  for (let i = days - 1; i >= 0; i--) dates.push(new Date(nowMs - i * 86_400_000).toISOString().slice(0, 10));
  const [processed, failed] = checkReplies(
    await redis
      .pipeline()
      .mget(dates.map((d) => statKey('processed', d)))
      .mget(dates.map((d) => statKey('failed', d)))
      .exec(),
    2,
    'history',
  ) as [(string | null)[], (string | null)[]];
  return dates.map((date, i) => ({ date, processed: Number(processed[i] ?? 0) || 0, failed: Number(failed[i] ?? 0) || 0 }));
}
