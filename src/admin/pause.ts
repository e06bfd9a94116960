/**
 * Paused queues in Sidekiq Pro's layout: the SET `paused` holds bare queue
 * names (Pro's `Queue#pause!` / `#unpause!`; Sidekiq 8.1.2+
 * `Stats#queue_summaries` reads it with `SISMEMBER paused <queue>`). A Kiq
 * server does not fetch from a paused queue; jobs keep arriving and wait.
 */
import type { Redis } from 'ioredis';
import { PAUSED } from '../redis/keys.js';

/**
 * Pause `queue`: `SADD paused <queue>`. Resolves `true` when it was not
 * paused before. The queue need not exist yet (Pro allows that too).
 *
 * @example
 * await pauseQueue(redis, 'mailers');
 */
export async function pauseQueue(redis: Redis, queue: string): Promise<boolean> {
  return (await redis.sadd(PAUSED, queue)) === 1;
}

/**
 * Resume `queue`: `SREM paused <queue>`. Resolves `true` when it was paused.
 *
 * @example
 * await unpauseQueue(redis, 'mailers');
 */
export async function unpauseQueue(redis: Redis, queue: string): Promise<boolean> {
  return (await redis.srem(PAUSED, queue)) === 1;
}

/**
 * Every paused queue name, sorted (`SMEMBERS paused`).
 *
 * @example
 * const paused = new Set(await pausedQueues(redis));
 */
export async function pausedQueues(redis: Redis): Promise<string[]> {
  return (await redis.smembers(PAUSED)).sort();
}
