/**
 * @internal
 * The demo's own keys in a Redis it may share with real work: its queues
 * (`DEMO_QUEUES`), the private lists of those queues, and the demo jobs in
 * the `schedule`, `retry` and `dead` sets (class `Demo::*` on a demo queue).
 * Nothing else is read or deleted.
 */
import type { Redis } from 'ioredis';
import { DEAD, parsePrivateQueueKey, privateQueuePattern, QUEUES, queueKey, RETRY, SCHEDULE } from '../redis/keys.js';
import { scanKeys, scanSortedSet } from '../redis/scan.js';
import { DEMO_QUEUES } from './workers.js';

const QUEUE_NAMES: readonly string[] = Object.keys(DEMO_QUEUES);

/** Whether a raw payload from a sorted set is a demo job. */
function isDemoJob(raw: string): boolean {
  try {
    const job = JSON.parse(raw) as { class?: unknown; queue?: unknown };
    return typeof job.class === 'string' && job.class.startsWith('Demo::') && typeof job.queue === 'string' && QUEUE_NAMES.includes(job.queue);
  } catch {
    return false;
  }
}

/** Demo jobs in one sorted set (`schedule`, `retry`, `dead`). */
async function demoEntries(redis: Redis, set: string): Promise<string[]> {
  return [...(await scanSortedSet(redis, set, '*Demo::*')).keys()].filter(isDemoJob);
}

/** Private lists (`queue:sq|<identity>|<queue>`) of the demo queues, of any process. */
async function privateLists(redis: Redis): Promise<string[]> {
  return (await scanKeys(redis, privateQueuePattern())).filter((key) => {
    const queue = parsePrivateQueueKey(key)?.queue;
    return queue !== undefined && QUEUE_NAMES.includes(queue);
  });
}

/** Delete what an earlier (perhaps interrupted) demo left: its queues and its jobs in the sorted sets. */
export async function clearDemoKeys(redis: Redis): Promise<void> {
  const lists = [...QUEUE_NAMES.map(queueKey), ...(await privateLists(redis))];
  await redis.del(...lists);
  await redis.srem(QUEUES, ...QUEUE_NAMES);
  for (const set of [SCHEDULE, RETRY, DEAD]) {
    const entries = await demoEntries(redis, set);
    for (let i = 0; i < entries.length; i += 500) await redis.zrem(set, ...entries.slice(i, i + 500));
  }
}

/** Demo jobs left in the retry set and the dead set. */
export interface DemoLeftovers {
  readonly retries: number;
  readonly dead: number;
}

/** Count the demo jobs left in Redis (for the final stats). */
export async function countDemoLeftovers(redis: Redis): Promise<DemoLeftovers> {
  return {
    retries: (await demoEntries(redis, RETRY)).length,
    dead: (await demoEntries(redis, DEAD)).length,
  };
}
