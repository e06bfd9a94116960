/**
 * @internal
 * The harness's own Redis reads and its one write-through poll, on its own
 * connection: the `schedule`, `retry` and `dead` sets (Sidekiq's sorted sets,
 * score = epoch seconds) and queue lengths. Time is passed in, so the
 * simulated clock decides what is due.
 */
import type { Redis } from 'ioredis';
import type { ResolvedConfig } from '../config/options.js';
import type { JobPayload } from '../job/payload.js';
import { DEAD, RETRY, SCHEDULE, queueKey } from '../redis/keys.js';
import { pollDue } from '../server/ops/poll-due.js';
import { POLL_BATCH, pollOptions } from '../server/tickers.js';

/** A job in the `schedule`, `retry` or `dead` set. */
export interface SetEntry {
  /** Its score as epoch ms: run time (schedule, retry) or time of death (dead). */
  readonly at: number;
  readonly job: JobPayload;
}

/** The sorted sets the harness reads, by the name `Harness.jobs` takes. */
export const SETS = { schedule: SCHEDULE, retry: RETRY, dead: DEAD } as const;

/** The name of one of {@link SETS}. */
export type SetName = keyof typeof SETS;

/** The jobs in a sorted set, lowest score first. */
export async function readSet(redis: Redis, set: SetName): Promise<SetEntry[]> {
  const flat = await redis.zrange(SETS[set], '0', '-1', 'WITHSCORES');
  const entries: SetEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ job: JSON.parse(flat[i]!) as JobPayload, at: Number(flat[i + 1]) * 1000 });
  return entries;
}

/** The earliest score among `sets`, as epoch ms; `undefined` when they are empty. */
export async function earliestScore(redis: Redis, sets: readonly SetName[]): Promise<number | undefined> {
  if (sets.length === 0) return undefined;
  const pipeline = redis.pipeline();
  for (const set of sets) pipeline.zrange(SETS[set], '0', '0', 'WITHSCORES');
  const replies = (await pipeline.exec()) ?? [];
  let earliest: number | undefined;
  for (const [error, reply] of replies) {
    if (error) throw error;
    const score = (reply as string[])[1];
    if (score === undefined) continue;
    const at = Number(score) * 1000;
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return earliest;
}

/** `LLEN queue:<name>` of every name, in order. */
export async function queueLengths(redis: Redis, names: readonly string[]): Promise<number[]> {
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.llen(queueKey(name));
  const replies = (await pipeline.exec()) ?? [];
  return names.map((_, i) => Number(replies[i]?.[1] ?? 0));
}

/**
 * One poll of the configured scheduler sets at `nowMs` (epoch ms), as a
 * poller's tick would do then: due jobs move to their queues, batch after
 * batch until a batch is not full.
 */
export async function pollDueAt(redis: Redis, config: ResolvedConfig, nowMs: number): Promise<void> {
  const { logger, deadLimit, deadTimeout } = config;
  const nowSec = nowMs / 1000;
  for (const set of config.schedulers) {
    const options = { ...pollOptions(set, nowSec, logger, { deadLimit, deadTimeoutMs: deadTimeout }), timestamps: config.timestamps };
    while ((await pollDue(redis, set, nowSec, POLL_BATCH, options)) >= POLL_BATCH);
  }
}
