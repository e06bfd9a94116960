/**
 * @internal
 * "Kill" from the dashboard: move an entry of `retry` or `schedule` to
 * `dead` (Sidekiq's `SortedEntry#kill`), trimmed as Sidekiq trims on every
 * add (`DeadSet#kill`: by age, then by rank), in one optimistic transaction
 * so an entry that a poller moved meanwhile is neither lost nor duplicated.
 */
import type { Redis } from 'ioredis';
import type { SetEntry } from '../../admin/sets.js';
import { scoreOf } from '../../job/timestamp.js';
import { DEAD } from '../../redis/keys.js';

/** Sidekiq's `dead_max_jobs` default. */
export const DEAD_MAX_JOBS = 10_000;
/** Sidekiq's `dead_timeout_in_seconds` default: 180 days. */
export const DEAD_TIMEOUT_SEC = 180 * 86_400;

/**
 * Move `entry` to `dead` with score `nowSec`, by its exact bytes. Returns
 * `false` when it was no longer in its set. Retries the transaction when the
 * set changed under it (`WATCH`), at most 5 times.
 *
 * @example
 * const killed = await killEntry(redis, entry, Date.now() / 1000);
 */
export async function killEntry(redis: Redis, entry: SetEntry, nowSec: number): Promise<boolean> {
  if (entry.set === DEAD) return false;
  // WATCH needs a connection of its own: on a shared client another caller's
  // commands could land between WATCH and EXEC.
  const conn = redis.duplicate();
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      await conn.watch(entry.set);
      if ((await conn.zscore(entry.set, entry.member)) === null) {
        await conn.unwatch();
        return false;
      }
      const done = await conn
        .multi()
        .zrem(entry.set, entry.member)
        .zadd(DEAD, scoreOf(nowSec), entry.member)
        .zremrangebyscore(DEAD, '-inf', scoreOf(nowSec - DEAD_TIMEOUT_SEC))
        .zremrangebyrank(DEAD, 0, -DEAD_MAX_JOBS)
        .exec();
      if (done !== null) {
        for (const [error] of done) if (error) throw error;
        return true;
      }
    }
    throw new Error(`kill ${entry.key}: ${entry.set} kept changing, try again`);
  } finally {
    conn.disconnect();
  }
}
