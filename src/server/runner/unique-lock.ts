/**
 * @internal
 * The lock a unique job holds while it waits and runs (docs/sidekiq-contract.md
 * §10, docs/architecture.md §2): `unique:<digest of [class, queue, args]>`, value =
 * its jid, released by compare-and-delete.
 */
import type { JobPayload } from '../../job/payload.js';
import { uniqueDigest } from '../../job/unique-digest.js';
import { uniqueKey } from '../../redis/keys.js';
import type { UniqueLock } from '../../job-events.js';

/** A unique job's lock and when it is released. */
export interface HeldLock extends UniqueLock {
  /** `start`: just before `perform`, whatever follows; `success`: when the job ends (success, dead, discard). */
  readonly until: 'start' | 'success';
}

/**
 * The lock of a unique job, or `undefined` for a job that is not unique.
 * A job is unique when `unique_for` is a number above 0 (Sidekiq
 * Enterprise: `unique_for: false` turns it off) and it has a string jid
 * (the lock's value; without one no lock can be released safely).
 * `unique_until: 'start'` releases at start; anything else (`'success'`,
 * absent) after success. The digest uses the payload's `queue` — as the
 * client did when it took the lock (`src/client/to-entry.ts`) — and the
 * fetched queue only when the payload has none.
 *
 * @example
 * uniqueLockOf({ class: 'W', args: [1], jid: 'j', queue: 'q', unique_for: 60 }, 'q');
 * // { key: 'unique:<sha-256 hex>', jid: 'j', until: 'success' }
 */
export function uniqueLockOf(job: JobPayload, fetchedQueue: string): HeldLock | undefined {
  const uniqueFor = job.unique_for as unknown;
  if (typeof uniqueFor !== 'number' || !(uniqueFor > 0)) return undefined;
  const jid = job.jid as unknown;
  if (typeof jid !== 'string' || jid === '') return undefined;
  const queue = typeof job.queue === 'string' ? job.queue : fetchedQueue;
  return {
    key: uniqueKey(uniqueDigest(job.class, queue, job.args)),
    jid,
    until: job.unique_until === 'start' ? 'start' : 'success',
  };
}

/** Just the key and jid, for an outcome's `unlock`. */
export function unlockOf(lock: HeldLock): UniqueLock {
  return { key: lock.key, jid: lock.jid };
}
