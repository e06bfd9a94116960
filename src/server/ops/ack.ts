/**
 * @internal
 * Acknowledgement (docs/sidekiq-contract.md §9, docs/architecture.md §2 and §5): a finished
 * job leaves its private list by `LREM <private> -1 <exact fetched string>`;
 * a batch is one `ack-jobs.lua` call per private list (one command per job
 * cost ~5 µs of Node CPU per job, measured in the processing bench).
 */
import type { Redis } from 'ioredis';
import type { RawJob } from '../../job/raw.js';
import { privateQueueKey } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { callScript, checkReplies } from '../../redis/call.js';

/** A job as fetched: its queue and its entry exactly as Redis returned it. */
export interface FetchedJob {
  /** Queue it was fetched from (names the private list). */
  readonly queue: string;
  /** The fetched entry, byte-for-byte (bytes when not valid UTF-8, src/job/raw.ts). */
  readonly raw: RawJob;
}

/**
 * Removes each job's fetched string from its private list: one
 * `ack-jobs` script call per private list, all in one pipeline. `-1` removes one
 * occurrence, from the oldest end, so two in-flight copies with identical
 * bytes need two entries in `done`. A string no longer there (requeued by
 * shutdown or orphan recovery) is not an error.
 *
 * Rejects on a connection error or a command error (a `ScriptError` when the
 * batch is of one queue, the reply error itself otherwise); the caller retries the
 * whole batch (an LREM that already ran removes nothing the second time,
 * unless another copy with the same bytes is still in flight).
 *
 * @example
 * await ackJobs(redis, identity, [{ queue: 'default', raw }]);
 */
export async function ackJobs(redis: Redis, identity: string, done: readonly FetchedJob[]): Promise<void> {
  if (done.length === 0) return;
  const byQueue = new Map<string, RawJob[]>();
  for (const job of done) {
    const raws = byQueue.get(job.queue);
    if (raws) raws.push(job.raw);
    else byQueue.set(job.queue, [job.raw]);
  }
  if (byQueue.size === 1) {
    // the usual batch (one queue's jobs): one script call, no pipeline
    const [queue, raws] = byQueue.entries().next().value!;
    await callScript(redis, 'ack-jobs', [privateQueueKey(identity, queue)], raws);
    return;
  }
  const pipeline = redis.pipeline();
  // LREM the exact fetched string: a re-encoded one matches nothing (docs/architecture.md §2).
  for (const [queue, raws] of byQueue) runScript(pipeline, 'ack-jobs', [privateQueueKey(identity, queue)], raws);
  checkReplies(await pipeline.exec(), byQueue.size, 'ackJobs');
}
