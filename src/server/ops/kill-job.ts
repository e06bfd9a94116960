/**
 * @internal
 * A job that will not run again: into `dead`, trimmed as Sidekiq trims it,
 * out of the private list, in one atomic step (docs/sidekiq-contract.md §4,
 * §5.1, §5.5, §9).
 */
import type { Redis } from 'ioredis';
import type { RawJob } from '../../job/raw.js';
import { formatSeconds } from '../../job/timestamp.js';
import { DEAD, privateQueueKey } from '../../redis/keys.js';
import type { FetchedJob } from './ack.js';
import { callScript } from '../../redis/call.js';

/**
 * In one script (`kill-job.lua`): `ZADD dead <nowSec> <json>`, then trim as
 * Sidekiq does on every add (contract §5.5) — `ZREMRANGEBYSCORE dead -inf
 * <nowSec − deadTimeoutMs/1000>` and `ZREMRANGEBYRANK dead 0 −deadLimit`, so
 * right after an add the set holds at most `deadLimit − 1` entries (limit 3,
 * five kills: two left) — then `LREM <private> -1 <job.raw>`.
 *
 * Only the holder settles: when the private list no longer holds `job.raw`
 * (requeued by shutdown or orphan recovery) nothing is written. For a
 * payload that is not a job pass `deadLetterEntry(raw, …)` (src/job/dead-letter.ts)
 * as `json`: a wrapper Sidekiq's Dead page can read.
 * Throws `RangeError` when `deadLimit` is not an integer ≥ 1.
 *
 * @param nowSec time of death, float epoch seconds (the score)
 * @param deadLimit Sidekiq `dead_max_jobs` (default 10,000)
 * @param deadTimeoutMs Sidekiq `dead_timeout_in_seconds`, in ms (default 180 days)
 *
 * @example
 * await killJob(redis, identity, { queue: 'default', raw }, encodeJob(failed), nowSec, 10_000, 180 * 86_400_000);
 */
export async function killJob(
  redis: Redis,
  identity: string,
  job: FetchedJob,
  json: RawJob,
  nowSec: number,
  deadLimit: number,
  deadTimeoutMs: number,
): Promise<void> {
  if (!Number.isInteger(deadLimit) || deadLimit < 1) throw new RangeError(`killJob: deadLimit must be an integer >= 1, got ${deadLimit}`);
  const cutoff = nowSec - deadTimeoutMs / 1000;
  await callScript(
    redis,
    'kill-job',
    [privateQueueKey(identity, job.queue), DEAD],
    [job.raw, json, formatSeconds(nowSec), Number.isFinite(cutoff) ? formatSeconds(cutoff) : '-inf', deadLimit],
  );
}
