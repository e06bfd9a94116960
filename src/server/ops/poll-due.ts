/**
 * @internal
 * The scheduled/retry poller's Redis step (SIDEKIQ-CONTRACT.md §5.3): due
 * members of `retry` or `schedule` move to their queues in one atomic call,
 * original bytes kept except a fresh `enqueued_at` (SIDEKIQ-TS.md: never
 * decode and re-encode a payload in Lua).
 */
import type { Redis } from 'ioredis';
import { formatSeconds, formatTimestamp, type TimestampFormat } from '../../job/timestamp.js';
import { DEAD, QUEUES, RETRY, SCHEDULE, queueKey } from '../../redis/keys.js';
import { callScript } from './redis-call.js';

/**
 * Moves up to `limit` members of `set` scored at or below `nowSec`, lowest
 * first, to `queue:<payload.queue>` (SADD `queues`, LPUSH, and only then
 * ZREM). Each member's top-level `enqueued_at` is set to `nowSec` (always
 * with a fractional part) by editing the text; every other byte stays —
 * `[]`, `{}`, 17-digit integers, nested `enqueued_at` keys. A member that is
 * not a JSON object with a non-empty string `queue` goes to `dead` unchanged
 * (score `nowSec`) instead of being lost. Returns how many members moved; when
 * it equals `limit` more may be due, so poll again at once.
 * Throws `RangeError` when `limit` is not an integer ≥ 1.
 *
 * @example
 * while ((await pollDue(redis, 'retry', nowSec, 100)) === 100);
 */
export async function pollDue(redis: Redis, set: 'retry' | 'schedule', nowSec: number, limit: number, timestamps: TimestampFormat = 'seconds'): Promise<number> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pollDue: limit must be an integer >= 1, got ${limit}`);
  const reply = await callScript(redis, 'poll-due', [set === 'retry' ? RETRY : SCHEDULE, QUEUES, DEAD], [formatSeconds(nowSec), limit, queueKey(''), ...(timestamps === 'ms' ? [formatTimestamp(nowSec, 'ms')] : [])]);
  return reply as number;
}
