/**
 * @internal
 * Paused queues in Sidekiq Pro's layout: queue names in the `paused` SET
 * (Pro's `Sidekiq::Queue#pause!` / `#unpause!`), which Pro fetchers skip.
 * The dashboard reads and writes the set; a process that honours it stops
 * fetching from the queue.
 */
import type { Redis } from 'ioredis';

/** SET of paused queue names (Sidekiq Pro). */
export const PAUSED = 'paused';

/** Names of the paused queues. */
export async function pausedQueues(redis: Redis): Promise<Set<string>> {
  return new Set(await redis.smembers(PAUSED));
}

/**
 * Pause (`SADD paused <name>`) or unpause (`SREM`) a queue.
 *
 * @example
 * await setPaused(redis, 'mailers', true);
 */
export async function setPaused(redis: Redis, name: string, paused: boolean): Promise<void> {
  if (paused) await redis.sadd(PAUSED, name);
  else await redis.srem(PAUSED, name);
}
