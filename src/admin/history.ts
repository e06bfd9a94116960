/**
 * Processed and failed counts per day, as Sidekiq's `Stats::History`
 * reads them (lib/sidekiq/api.rb): `MGET stat:processed:<YYYY-MM-DD>...`
 * (UTC dates, written by every process on each beat; kept 5 years).
 */
import type { Redis } from 'ioredis';
import { AdminError } from '../errors.js';
import { statKey } from '../redis/keys.js';
import { checkReplies } from '../redis/call.js';

/** One day of {@link readHistory}. */
export interface HistoryDay {
  /** UTC date, `YYYY-MM-DD`. */
  readonly date: string;
  /** Jobs executed that day, failures included (`stat:processed:<date>`). */
  readonly processed: number;
  /** Jobs that failed that day (`stat:failed:<date>`). */
  readonly failed: number;
}

/** Sidekiq keeps the daily counters 5 years and refuses longer histories. */
export const MAX_HISTORY_DAYS = 5 * 365;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a UTC day. */
function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * `days` days ending with `startDate` (a UTC `YYYY-MM-DD`, default: today
 * in UTC), newest first; a day without counters is 0. Throws `AdminError`
 * (`invalid-argument`) unless `days` is an integer in 1..1825 (as Sidekiq)
 * and `startDate` a real date.
 *
 * @example
 * const [today, yesterday] = await readHistory(redis, 2);
 */
export async function readHistory(redis: Redis, days: number, { startDate, nowMs = Date.now() }: { startDate?: string; nowMs?: number } = {}): Promise<HistoryDay[]> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_HISTORY_DAYS) {
    throw new AdminError('invalid-argument', `history: days must be an integer from 1 to ${MAX_HISTORY_DAYS}, got ${days}`);
  }
  let startMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  if (startDate !== undefined) {
    startMs = /^\d{4}-\d{2}-\d{2}$/.test(startDate) ? Date.parse(`${startDate}T00:00:00Z`) : Number.NaN;
    if (!Number.isFinite(startMs) || utcDate(startMs) !== startDate) throw new AdminError('invalid-argument', `history: startDate must be a date as YYYY-MM-DD, got ${JSON.stringify(startDate)}`);
  }
  const dates = Array.from({ length: days }, (_, i) => utcDate(startMs - i * DAY_MS));
  const [processed, failed] = checkReplies(
    await redis
      .pipeline()
      .mget(dates.map((date) => statKey('processed', date)))
      .mget(dates.map((date) => statKey('failed', date)))
      .exec(),
    2,
    'history',
  ) as [(string | null)[], (string | null)[]];
  const count = (value: string | null | undefined) => (value ? Number.parseInt(value, 10) || 0 : 0);
  return dates.map((date, i) => ({ date, processed: count(processed[i]), failed: count(failed[i]) }));
}
