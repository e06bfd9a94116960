/**
 * @internal
 * Graceful shutdown of reliable fetch (docs/sidekiq-contract.md §4, §9): jobs
 * still in flight go back to the front of their queues, and the process
 * unregisters.
 */
import type { Redis } from 'ioredis';
import { QUEUES, SUPER_PROCESSES, privateQueueKey, queueKey, superQueuesKey } from '../../redis/keys.js';
import { callScript } from '../../redis/call.js';

/**
 * In one script (`requeue-private.lua`): for each of `queues`, moves every
 * job of this process's private list back onto the RIGHT end (the end that
 * runs next) of the queue, keeping the fetch order — the oldest fetched ends
 * up rightmost, so they run again in their original order and before
 * anything pushed since — and removes the list from
 * `<identity>:super_queues`. Once no private list is registered any more,
 * also `SREM super_processes <identity>` and `DEL <identity>:super_queues`.
 * Bytes are unchanged. Returns how many jobs moved.
 *
 * Call it with all queues at once, or once per queue as each stops; a list
 * never requeued stays registered, so orphan recovery returns its jobs after
 * the heartbeat expires. Stop fetching the queue first (and let an in-flight
 * `blockForJob` return): a job fetched afterwards sits in an unregistered
 * list. A job that finishes afterwards acks nothing and is not written to
 * retry or dead (it runs again instead).
 *
 * @example
 * const moved = await requeuePrivate(redis, identity, ['critical', 'default']);
 */
export async function requeuePrivate(redis: Redis, identity: string, queues: readonly string[]): Promise<number> {
  const reply = await callScript(
    redis,
    'requeue-private',
    [SUPER_PROCESSES, superQueuesKey(identity), QUEUES],
    [identity, privateQueueKey(identity, ''), queueKey(''), ...queues],
  );
  return reply as number;
}
