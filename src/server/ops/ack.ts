/**
 * @internal
 * Acknowledgement (SIDEKIQ-CONTRACT.md §9, DESIGN.md §2 and §5): a finished
 * job leaves its private list by `LREM <private> -1 <exact fetched string>`,
 * a batch in one pipeline.
 */
import type { Redis } from 'ioredis';
import { privateQueueKey } from '../../redis/keys.js';
import { checkReplies } from './redis-call.js';

/** A job as fetched: its queue and its string exactly as Redis returned it. */
export interface FetchedJob {
  /** Queue it was fetched from (names the private list). */
  readonly queue: string;
  /** The fetched string, byte-for-byte. */
  readonly raw: string;
}

/**
 * Removes each job's fetched string from its private list, one
 * `LREM <private> -1 <raw>` per job in one pipeline. `-1` removes one
 * occurrence, from the oldest end, so two in-flight copies with identical
 * bytes need two entries in `done`. A string no longer there (requeued by
 * shutdown or orphan recovery) is not an error.
 *
 * Rejects on a connection error or a command error; the caller retries the
 * whole batch (an LREM that already ran removes nothing the second time,
 * unless another copy with the same bytes is still in flight).
 *
 * @example
 * await ackJobs(redis, identity, [{ queue: 'default', raw }]);
 */
export async function ackJobs(redis: Redis, identity: string, done: readonly FetchedJob[]): Promise<void> {
  if (done.length === 0) return;
  const pipeline = redis.pipeline();
  // LREM the exact fetched string: a re-encoded one matches nothing (DESIGN.md §2).
  for (const job of done) pipeline.lrem(privateQueueKey(identity, job.queue), -1, job.raw);
  checkReplies(await pipeline.exec(), done.length, 'ackJobs');
}
