/**
 * The jobs waiting in one queue, as Sidekiq's `Queue` and the Web UI's queue
 * page read them (lib/sidekiq/api.rb): `queue:<name>` is a list pushed on
 * the left and worked from the right, so index 0 is the newest job. Jobs
 * are addressed by their exact bytes; deleting is `LREM ... 1 <member>`.
 */
import type { Redis } from 'ioredis';
import { readTimestamp } from '../job/timestamp.js';
import { queueKey } from '../redis/keys.js';
import { checkReplies } from '../redis/call.js';
import { checkCount } from './check.js';
import { decodeJob, type JobHash } from './job-record.js';

/** One job in a queue. */
export interface QueueJob {
  readonly queue: string;
  /** The list element, byte for byte as stored (what {@link deleteQueueJob} takes). */
  readonly member: string;
  /** The member decoded; `undefined` when it is not a JSON object. */
  readonly job: JobHash | undefined;
  readonly jid: string | undefined;
  /** `enqueued_at` as float epoch seconds (Sidekiq 8's integer ms read as ms). */
  readonly enqueuedAt: number | undefined;
}

/** A page of a queue's jobs and the queue's size. */
export interface QueueJobPage {
  readonly jobs: QueueJob[];
  readonly total: number;
}

/** Which end a page starts from: `newest` (the Web UI's default) or `oldest` (the next to run). */
export type QueueOrder = 'newest' | 'oldest';

/** Decode one list element. */
export function toQueueJob(queue: string, member: string): QueueJob {
  const job = decodeJob(member);
  return { queue, member, job, jid: typeof job?.jid === 'string' ? job.jid : undefined, enqueuedAt: readTimestamp(job?.enqueued_at) };
}

/**
 * Up to `limit` jobs of `queue` from position `offset`, newest first (or
 * `oldest` first: the order they will run in), and the queue's length: one
 * pipeline of `LRANGE` and `LLEN`.
 *
 * @example
 * const { jobs, total } = await listQueueJobs(redis, 'default', { limit: 25, order: 'oldest' });
 */
export async function listQueueJobs(
  redis: Redis,
  queue: string,
  { offset = 0, limit = 25, order = 'newest' }: { offset?: number; limit?: number; order?: QueueOrder } = {},
): Promise<QueueJobPage> {
  checkCount('offset', offset, 0);
  checkCount('limit', limit, 1);
  const [start, stop] = order === 'newest' ? [offset, offset + limit - 1] : [-(offset + limit), -(offset + 1)];
  const [members, total] = checkReplies(await redis.pipeline().lrange(queueKey(queue), start, stop).llen(queueKey(queue)).exec(), 2, `queue ${queue}`) as [
    string[],
    number,
  ];
  const jobs = members.map((member) => toQueueJob(queue, member));
  return { jobs: order === 'newest' ? jobs : jobs.reverse(), total };
}

/**
 * Jobs of `queue` whose `jid` is `jid`, newest first (Sidekiq's
 * `Queue#find_job`). Cost: O(queue length) — the whole list is read in
 * `LRANGE` pages of 1,000; only members containing the jid are decoded.
 * Jobs pushed or run meanwhile shift the pages, so a job that arrives or
 * leaves during the call may be missed (as in Sidekiq).
 *
 * @example
 * const [job] = await findQueueJobs(redis, 'default', jid);
 */
export async function findQueueJobs(redis: Redis, queue: string, jid: string): Promise<QueueJob[]> {
  const found: QueueJob[] = [];
  for (let start = 0; ; start += 1000) {
    const members = await redis.lrange(queueKey(queue), start, start + 999);
    for (const member of members) {
      if (!member.includes(jid)) continue;
      const job = toQueueJob(queue, member);
      if (job.jid === jid) found.push(job);
    }
    if (members.length < 1000) return found;
  }
}

/**
 * Remove one job by its exact bytes (`LREM queue:<name> 1 <member>`,
 * Sidekiq's `JobRecord#delete`). Resolves `false` when it was no longer
 * there (run or deleted meanwhile).
 *
 * @example
 * await deleteQueueJob(redis, 'default', job.member);
 */
export async function deleteQueueJob(redis: Redis, queue: string, member: string): Promise<boolean> {
  return (await redis.lrem(queueKey(queue), 1, member)) > 0;
}
