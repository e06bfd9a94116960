/**
 * The `beat` field of a heartbeat hash alone (`HSET <identity> beat <now>`,
 * `EXPIRE 60`): marks a process alive for fetch and orphan recovery in ops
 * tests, without the rest of the heartbeat (src/server/heartbeat.ts writes
 * the whole hash in the library).
 */
import type { Redis } from 'ioredis';
import { formatSeconds } from '../../src/job/timestamp.js';
import { processKey } from '../../src/redis/keys.js';
import { HEARTBEAT_TTL_SEC } from '../../src/server/heartbeat.js';

/** Write `beat` = `nowSec` on `identity`'s hash with the heartbeat's TTL; other fields are kept. */
export async function writeBeat(redis: Redis, identity: string, nowSec: number): Promise<void> {
  const key = processKey(identity);
  await redis.multi().hset(key, 'beat', formatSeconds(nowSec)).expire(key, HEARTBEAT_TTL_SEC).exec();
}
