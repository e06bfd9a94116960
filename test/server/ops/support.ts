/** Shared fixtures for the server-ops tests. */
import type { Redis } from 'ioredis';
import { queueKey } from '../../../src/redis/keys.js';

/** A process identity as Kiq builds it (`hostname:pid:nonce`). */
export const IDENTITY = 'host-1:4242:0123456789ab';

/** Another process. */
export const OTHER = 'host-2:4343:ba9876543210';

/** A fixed "now", float epoch seconds, and its wire rendering. */
export const NOW = 1_795_807_920.25;
export const NOW_TEXT = '1795807920.25';

/** A compact job string in Sidekiq 7.x key order. */
export function jobJson(jid: string, queue = 'default', args: unknown[] = []): string {
  return JSON.stringify({ retry: true, queue, class: 'HardWorker', args, jid, created_at: 1795807900.5, enqueued_at: 1795807900.5 });
}

/** Pops `queue` empty the way a fetcher would (right end first) and returns the jids in that order. */
export async function runOrder(redis: Redis, queue: string): Promise<string[]> {
  const jids: string[] = [];
  for (let job = await redis.rpop(queueKey(queue)); job !== null; job = await redis.rpop(queueKey(queue))) {
    jids.push((JSON.parse(job) as { jid: string }).jid);
  }
  return jids;
}
