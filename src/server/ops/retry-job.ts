/**
 * @internal
 * A failed job that will run again: into `retry`, out of the private list,
 * in one atomic step (docs/sidekiq-contract.md §5.1, §9).
 */
import type { Redis } from 'ioredis';
import { formatSeconds } from '../../job/timestamp.js';
import { RETRY, privateQueueKey } from '../../redis/keys.js';
import type { FetchedJob } from './ack.js';
import { callScript } from '../../redis/call.js';

/**
 * `ZADD retry <retryAtSec> <json>` and `LREM <private> -1 <job.raw>` in one
 * script (`retry-job.lua`), so a crash never loses the failure nor runs the
 * job twice. The ZADD comes first: if it fails the job stays in flight.
 *
 * Only the holder settles: when the private list no longer holds `job.raw`
 * (shutdown requeue or orphan recovery already put it back on its queue,
 * where it runs again) nothing is written. Rejects with `ScriptError` on a
 * Redis reply error, unchanged on a connection error; retrying is safe.
 *
 * @param json the job with its failure fields, as it must be stored
 * @param retryAtSec next attempt, float epoch seconds (the score)
 *
 * @example
 * await retryJob(redis, identity, { queue: 'default', raw }, encodeJob(failed), nowSec + delaySec);
 */
export async function retryJob(redis: Redis, identity: string, job: FetchedJob, json: string, retryAtSec: number): Promise<void> {
  await callScript(redis, 'retry-job', [privateQueueKey(identity, job.queue), RETRY], [job.raw, formatSeconds(retryAtSec), json]);
}
