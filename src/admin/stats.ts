/**
 * Dashboard numbers and queues, computed as Sidekiq's `Sidekiq::Stats`,
 * `Sidekiq::Queue` and the Web UI compute them (docs/sidekiq-contract.md §6.3),
 * so `kiq stats` and the Web UI agree. Read-only except {@link clearQueue}.
 */
import type { Redis } from 'ioredis';
import { readTimestamp } from '../job/timestamp.js';
import { DEAD, PAUSED, PROCESSES, QUEUES, RETRY, SCHEDULE, processKey, queueKey, statKey } from '../redis/keys.js';
import { checkReplies } from '../redis/call.js';

/** What Sidekiq's dashboard shows. */
export interface Stats {
  /** `stat:processed`: every execution, failures included. */
  readonly processed: number;
  /** `stat:failed`. */
  readonly failed: number;
  /** Jobs running now: the sum of `busy` over the `processes` hashes. */
  readonly busy: number;
  /** Jobs waiting: the sum of `LLEN queue:<q>` over `queues`. */
  readonly enqueued: number;
  /** `ZCARD schedule`. */
  readonly scheduled: number;
  /** `ZCARD retry`. */
  readonly retries: number;
  /** `ZCARD dead`. */
  readonly dead: number;
  /** `SCARD processes` (as Sidekiq: stale members count until a ProcessSet cleanup removes them). */
  readonly processes: number;
  /** Seconds since the oldest job of queue `default` was enqueued; 0 when it is empty. */
  readonly defaultLatency: number;
}

/** One queue as the Web UI's Queues page shows it. */
export interface QueueInfo {
  /** Name, without `queue:`. */
  readonly name: string;
  /** Jobs waiting (`LLEN`). */
  readonly size: number;
  /** Seconds since the oldest job was enqueued (`now - enqueued_at` of index -1); 0 when empty. */
  readonly latency: number;
  /** Named in the `paused` set (Sidekiq Pro's layout): servers fetch nothing from it. */
  readonly paused: boolean;
}

/** Integer of a Redis string reply, 0 for nil or garbage (Ruby's `to_i`). */
function toInt(value: unknown): number {
  const n = Number.parseInt(String(value ?? '0'), 10);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Latency of a queue from its oldest raw job (`LRANGE queue:<q> -1 -1`):
 * `now - enqueued_at` in seconds (Sidekiq 8's milliseconds understood), 0
 * when there is no job, it is not JSON or it has no `enqueued_at`
 * (Sidekiq's `Queue#latency`).
 */
export function latencyOf(oldest: string | null | undefined, nowMs: number): number {
  if (!oldest) return 0;
  try {
    const job = JSON.parse(oldest) as Record<string, unknown>;
    const enqueuedAt = readTimestamp(job?.enqueued_at);
    return enqueuedAt === undefined ? 0 : Math.max(0, nowMs / 1000 - enqueuedAt);
  } catch {
    return 0;
  }
}

/**
 * The dashboard numbers (`Sidekiq::Stats`): one pipeline for the counters
 * and set sizes, then the busy and enqueued sums over `processes` and
 * `queues`.
 *
 * @example
 * const { processed, failed, enqueued } = await readStats(redis);
 */
export async function readStats(redis: Redis, nowMs: number = Date.now()): Promise<Stats> {
  const [processed, failed, scheduled, retries, dead, processes, oldest, processNames, queueNames] = checkReplies(
    await redis
      .pipeline()
      .get(statKey('processed'))
      .get(statKey('failed'))
      .zcard(SCHEDULE)
      .zcard(RETRY)
      .zcard(DEAD)
      .scard(PROCESSES)
      .lrange(queueKey('default'), -1, -1)
      .smembers(PROCESSES)
      .smembers(QUEUES)
      .exec(),
    9,
    'stats',
  ) as [string | null, string | null, number, number, number, number, string[], string[], string[]];
  const sums = redis.pipeline();
  for (const identity of processNames) sums.hget(processKey(identity), 'busy');
  for (const queue of queueNames) sums.llen(queueKey(queue));
  const replies = processNames.length + queueNames.length === 0 ? [] : checkReplies(await sums.exec(), processNames.length + queueNames.length, 'stats');
  const busy = replies.slice(0, processNames.length).reduce<number>((sum, value) => sum + toInt(value), 0);
  const enqueued = replies.slice(processNames.length).reduce<number>((sum, value) => sum + toInt(value), 0);
  return {
    processed: toInt(processed),
    failed: toInt(failed),
    busy,
    enqueued,
    scheduled,
    retries,
    dead,
    processes,
    defaultLatency: latencyOf(oldest[0], nowMs),
  };
}

/**
 * Every queue in `queues`, sorted by name, with its size, latency and paused
 * flag (`Sidekiq::Queue.all`; 8.1.2's `Stats#queue_summaries`): one
 * pipeline of `LLEN`, `LRANGE -1 -1` and `SISMEMBER paused` per queue.
 *
 * @example
 * for (const { name, size, latency } of await listQueues(redis)) console.log(name, size, latency);
 */
export async function listQueues(redis: Redis, nowMs: number = Date.now()): Promise<QueueInfo[]> {
  return queueInfos(redis, (await redis.smembers(QUEUES)).sort(), nowMs);
}

/**
 * Whether `name` is a known queue: a member of `queues`, which every push
 * adds to and only {@link clearQueue} removes from (`SISMEMBER queues`).
 *
 * @example
 * if (!(await queueExists(redis, 'mailers'))) console.log('no such queue');
 */
export async function queueExists(redis: Redis, name: string): Promise<boolean> {
  return (await redis.sismember(QUEUES, name)) === 1;
}

/** {@link QueueInfo} of each name, in the order given (one pipeline); a name need not be in `queues`. */
export async function queueInfos(redis: Redis, names: readonly string[], nowMs: number = Date.now()): Promise<QueueInfo[]> {
  if (names.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.llen(queueKey(name)).lrange(queueKey(name), -1, -1).sismember(PAUSED, name);
  const replies = checkReplies(await pipeline.exec(), names.length * 3, 'queues');
  return names.map((name, i) => ({
    name,
    size: replies[i * 3] as number,
    latency: latencyOf((replies[i * 3 + 1] as string[])[0], nowMs),
    paused: replies[i * 3 + 2] === 1,
  }));
}

/**
 * Empty a queue and forget it, as Sidekiq's `Queue#clear`: one MULTI of
 * `UNLINK queue:<name>` and `SREM queues <name>`. Returns how many jobs it
 * held and whether the queue existed at all (a list or a `queues` member).
 *
 * @example
 * const { existed, size } = await clearQueue(redis, 'mailers');
 */
export async function clearQueue(redis: Redis, name: string): Promise<{ existed: boolean; size: number }> {
  const [size, member, unlinked] = checkReplies(
    await redis.multi().llen(queueKey(name)).sismember(QUEUES, name).unlink(queueKey(name)).srem(QUEUES, name).exec(),
    4,
    'queue clear',
  ) as [number, number, number, number];
  return { existed: member === 1 || unlinked === 1, size };
}
