/**
 * @internal
 * Releasing an Enterprise-style unique lock (docs/sidekiq-contract.md §10,
 * docs/architecture.md §2): compare-and-delete on the jid, never a bare DEL.
 */
import type { Redis } from 'ioredis';
import { callScript } from '../../redis/call.js';

/**
 * Deletes `lockKey` only while its value is `jid` (`release-lock.lua`), so a
 * late release never frees a lock another job has taken since. Resolves
 * `true` when deleted, `false` when the lock is held by another jid or gone.
 *
 * @example
 * await releaseUniqueLock(redis, uniqueKey(digest), jid); // true
 */
export async function releaseUniqueLock(redis: Redis, lockKey: string, jid: string): Promise<boolean> {
  return (await callScript(redis, 'release-lock', [lockKey], [jid])) === 1;
}
