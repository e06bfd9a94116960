/**
 * @internal
 * The SCAN loops: every key matching a pattern, every member of a sorted set
 * matching a pattern. SCAN may return an element more than once (while
 * Redis rehashes), so each is returned once; COUNT 1000 keeps the round
 * trips few on a large keyspace without blocking Redis for long.
 */
import type { Redis } from 'ioredis';

/** Elements asked for per SCAN / ZSCAN call. */
const SCAN_COUNT = 1000;

/**
 * Every key matching the glob `pattern` (SCAN MATCH), each once, in SCAN's
 * order.
 *
 * @example
 * const lists = await scanKeys(redis, privateQueuePattern(identity)); // ['queue:sq|<identity>|default', …]
 */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const key of found) keys.add(key);
  } while (cursor !== '0');
  return [...keys];
}

/**
 * Every member of the sorted set `key` matching the glob `pattern` (ZSCAN
 * MATCH), each once, with its score, in ZSCAN's order.
 *
 * @example
 * const found = await scanSortedSet(redis, 'dead', '*Demo::*'); // Map { '{"class":"Demo::Fail",…}' => 1764751234.5 }
 */
export async function scanSortedSet(redis: Redis, key: string, pattern: string): Promise<Map<string, number>> {
  const members = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.zscan(key, cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    cursor = next;
    // ZSCAN returns member, score, member, score, …
    for (let i = 0; i + 1 < flat.length; i += 2) members.set(flat[i]!, Number(flat[i + 1]));
  } while (cursor !== '0');
  return members;
}
