/** Listing keys in a test's Redis without KEYS. */
import type { Redis } from 'ioredis';

/** Every key matching `pattern` (SCAN, COUNT 1000). */
export async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}
