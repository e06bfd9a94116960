/**
 * @internal
 * Minimal liveness: only the `beat` field of the heartbeat hash, whose
 * existence tells orphan recovery that a process is alive (docs/sidekiq-contract.md
 * §6.2, §9). Servers write the full heartbeat (src/server/heartbeat.ts);
 * this remains the fallback tick of a tree built without one.
 */
import type { Redis } from 'ioredis';
import { formatSeconds } from '../../job/timestamp.js';
import { processKey } from '../../redis/keys.js';
import { checkReplies } from '../../redis/call.js';

/** Heartbeat TTL, seconds: Sidekiq's 60 s (contract §1, §6.2). */
export const BEAT_TTL_SEC = 60;

/**
 * `HSET <identity> beat <nowSec>` and `EXPIRE <identity> 60` in one MULTI.
 * Does not SADD `processes` nor write `info`/`busy`: the heartbeat reporter
 * writes the full heartbeat. Write it before the first `fetchJobs` and more
 * often than every 60 s while jobs are in flight.
 *
 * @example
 * await writeBeat(redis, identity, clock.realMs() / 1000);
 */
export async function writeBeat(redis: Redis, identity: string, nowSec: number): Promise<void> {
  const key = processKey(identity);
  checkReplies(await redis.multi().hset(key, 'beat', formatSeconds(nowSec)).expire(key, BEAT_TTL_SEC).exec(), 2, 'writeBeat');
}
