/**
 * @internal
 * A queue's waiting jobs for the dashboard: one page at a time (`LRANGE`,
 * newest first as Sidekiq's Web UI lists them), one job by index, and
 * deleting one job by its exact bytes (`LREM`, Sidekiq's `JobRecord#delete`).
 */
import type { Redis } from 'ioredis';
import { QUEUES, queueKey } from '../../redis/keys.js';
import { checkReplies } from '../../server/ops/redis-call.js';

/** One waiting job. */
export interface QueueJob {
  /** Position in the list, 0 = newest (runs last). */
  readonly index: number;
  /** The job exactly as stored. */
  readonly raw: string;
  /** The job decoded, `undefined` when it is not a JSON object. */
  readonly job: Readonly<Record<string, unknown>> | undefined;
  readonly jid: string | undefined;
}

function decode(raw: string, index: number): QueueJob {
  let job: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) job = parsed as Record<string, unknown>;
  } catch {
    // not JSON: shown raw
  }
  return { index, raw, job, jid: typeof job?.jid === 'string' ? job.jid : undefined };
}

/**
 * Jobs `offset … offset + limit - 1` of `queue:<name>` and the queue's
 * length, in one pipeline.
 *
 * @example
 * const { jobs, total } = await queuePage(redis, 'default', { offset: 0, limit: 25 });
 */
export async function queuePage(redis: Redis, name: string, { offset, limit }: { offset: number; limit: number }): Promise<{ jobs: QueueJob[]; total: number }> {
  const [list, total] = checkReplies(
    await redis.pipeline().lrange(queueKey(name), offset, offset + limit - 1).llen(queueKey(name)).exec(),
    2,
    `queue ${name}`,
  ) as [string[], number];
  return { jobs: list.map((raw, i) => decode(raw, offset + i)), total };
}

/** The job at `index` of `queue:<name>`, `undefined` when there is none. */
export async function queueJobAt(redis: Redis, name: string, index: number): Promise<QueueJob | undefined> {
  const raw = await redis.lindex(queueKey(name), index);
  return raw === null ? undefined : decode(raw, index);
}

/**
 * Remove one job by its exact bytes (`LREM queue:<name> 1 <raw>`); `true`
 * when it was still there (a fetcher may have taken it meanwhile).
 */
export async function deleteQueueJob(redis: Redis, name: string, raw: string): Promise<boolean> {
  return (await redis.lrem(queueKey(name), 1, raw)) > 0;
}

/** Whether `name` is a known queue (a `queues` member). */
export async function queueExists(redis: Redis, name: string): Promise<boolean> {
  return (await redis.sismember(QUEUES, name)) === 1;
}
