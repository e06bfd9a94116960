/**
 * @internal
 * The Redis side of private-list reconciliation (src/server/reconciler.ts):
 * read this process's private lists as bytes, and put chosen entries back
 * on their queues atomically (`requeue-entries.lua`).
 */
import type { Redis } from 'ioredis';
import { toRawJob, type RawJob } from '../../job/raw.js';
import { QUEUES, privateQueueKey, queueKey } from '../../redis/keys.js';
import { callScript, checkReplies } from '../../redis/call.js';

/**
 * Every entry of this process's private list of each of `queues`
 * (`LRANGE 0 -1`, as bytes, one pipeline), as {@link RawJob}s.
 *
 * @example
 * const lists = await readPrivateLists(redis, identity, ['default']);
 * lists.get('default'); // ['{"class":"A",…}', …]
 */
export async function readPrivateLists(redis: Redis, identity: string, queues: readonly string[]): Promise<Map<string, RawJob[]>> {
  const pipeline = redis.pipeline();
  for (const queue of queues) pipeline.lrangeBuffer(privateQueueKey(identity, queue), 0, -1);
  const replies = checkReplies(await pipeline.exec(), queues.length, 'readPrivateLists');
  return new Map(queues.map((queue, i) => [queue, (replies[i] as Buffer[]).map(toRawJob)]));
}

/**
 * Moves each of `raws` (one element per copy) from this process's private
 * list of `queue` to the RIGHT end of `queue:<queue>` (it runs next) — each
 * only if an exact occurrence was still in the private list. Returns how
 * many moved.
 *
 * @example
 * const moved = await requeueEntries(redis, identity, 'default', [raw]);
 */
export async function requeueEntries(redis: Redis, identity: string, queue: string, raws: readonly RawJob[]): Promise<number> {
  if (raws.length === 0) return 0;
  const reply = await callScript(redis, 'requeue-entries', [privateQueueKey(identity, queue), queueKey(queue), QUEUES], [queue, ...raws]);
  return reply as number;
}
