/**
 * Pausing queues in Sidekiq Pro's layout: the `paused` SET of queue names
 * (`SADD paused <queue>`), which Kiq's fetch honours (src/redis/scripts/
 * fetch-jobs.lua, src/server/ops/fetch.ts) and Sidekiq 8.1.2+'s
 * `Stats#queue_summaries` reads (`SISMEMBER paused <queue>`). Jobs keep
 * arriving in a paused queue; no Kiq process takes any until it is unpaused.
 * Running jobs are not touched.
 */
import type { Redis } from 'ioredis';
import { PAUSED } from '../redis/keys.js';

/**
 * Pauses `queue`. Resolves `true` if it was not paused before. Any name may
 * be paused, also one with no jobs yet.
 *
 * @example
 * await pauseQueue(redis, 'mailers'); // true; again: false
 */
export async function pauseQueue(redis: Redis, queue: string): Promise<boolean> {
  return (await redis.sadd(PAUSED, queue)) === 1;
}

/**
 * Unpauses `queue`: every Kiq process fetches from it again within one
 * `fetchInterval`. Resolves `true` if it was paused.
 *
 * @example
 * await unpauseQueue(redis, 'mailers'); // true
 */
export async function unpauseQueue(redis: Redis, queue: string): Promise<boolean> {
  return (await redis.srem(PAUSED, queue)) === 1;
}

/**
 * The paused queue names, sorted.
 *
 * @example
 * await pausedQueues(redis); // ['mailers']
 */
export async function pausedQueues(redis: Redis): Promise<string[]> {
  return (await redis.smembers(PAUSED)).sort();
}
