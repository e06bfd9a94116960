/**
 * @internal
 * Kiq's `clear`: delete every key that holds jobs or job state, for tests and
 * development. Heartbeats, `processes` and the leader key belong to live
 * processes and are left alone.
 */
import type { Redis } from 'ioredis';
import { DEAD, QUEUES, RETRY, SCHEDULE } from './keys.js';
import { scanKeys } from './scan.js';

/** Patterns of the keys `clear` deletes (queues, private queues, unique locks, counters). */
const PATTERNS = ['queue:*', 'unique:*', 'stat:*', 'recoveries:*'];

/** Delete queues, private queues, schedule/retry/dead, unique locks and stat counters; resolves with how many keys went. */
export async function clearAll(redis: Redis): Promise<number> {
  const keys = new Set<string>([QUEUES, SCHEDULE, RETRY, DEAD]);
  for (const pattern of PATTERNS) for (const key of await scanKeys(redis, pattern)) keys.add(key);
  const all = [...keys];
  let deleted = 0;
  for (let i = 0; i < all.length; i += 1000) deleted += await redis.unlink(...all.slice(i, i + 1000));
  return deleted;
}
