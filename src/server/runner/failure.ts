/**
 * @internal
 * What a failed job becomes: Sidekiq's `job_retry.rb` `attempt_retry`
 * (docs/sidekiq-contract.md §5.1, §5.2, §14), not Kiq's Retryer
 * (docs/kiq-elixir.md bug 11: Kiq overwrites `failed_at`, stores dead
 * jobs without their last error, adds instead of multiplying the jitter).
 * The new payload is the fetched text patched in place, so args and unknown
 * keys keep every byte (docs/architecture.md §2).
 */
import type { TimestampFormat } from '../../job/timestamp.js';
import type { Logger } from '../../logger.js';
import type { JobPayload } from '../../job/payload.js';
import { patchJob } from '../../job/patch.js';
import type { Worker } from '../../worker.js';
import { retryDelaySec } from './backoff.js';
import { backtraceLimit, backtraceLines, encodeBacktrace } from '../../job/backtrace.js';
import { errorClassOf, errorMessageOf } from '../../job/error-fields.js';
import type { FailureOutcome, UniqueLock } from '../../job-events.js';

/** Sidekiq's default `max_retries`. */
export const DEFAULT_MAX_RETRIES = 25;

/** Everything {@link handleFailure} needs. */
export interface FailureInput {
  /** The decoded job, as it ran. */
  readonly job: JobPayload;
  /** The string it was decoded from, as fetched; the new payload is patched from it. */
  readonly raw: string;
  /** The queue it was fetched from. */
  readonly queue: string;
  /** The failure as an `Error` (see `toError`). */
  readonly error: Error;
  /** What was actually thrown (handed to `worker.retryIn`); defaults to `error`. */
  readonly thrown?: unknown;
  /** Now, epoch ms (`clock.realMs()`), for `failed_at`/`retried_at` and the retry time. */
  readonly nowMs: number;
  /** The job's worker, when one is registered: `retry` fallback and `retryIn`. */
  readonly worker?: Worker;
  /** Retries for `retry: true`. @defaultValue 25 */
  readonly maxRetries?: number;
  /** How `failed_at` / `retried_at` are written. @defaultValue `'seconds'` */
  readonly timestamps?: TimestampFormat;
  /** Uniform [0, 1) for the jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Where a throwing `retryIn` is reported. */
  readonly logger?: Logger;
  /** A unique job's lock, released when the job ends here (dead or discard). */
  readonly lock?: UniqueLock;
  /** Also release `lock` when the job retries (`unique_until: 'start'` whose start release did not happen). */
  readonly releaseLockOnRetry?: boolean;
  /** Run time of `perform`, ms, copied into the outcome. */
  readonly durationMs?: number;
}

/**
 * Decides retry, dead or discard for a failed job and builds the payload to
 * store, exactly as Sidekiq 6.4–7.3 does:
 *
 * 1. `retry` absent or `null` → the worker's `retry` option, else `true`,
 *    and that value is written into the payload (Sidekiq's `local` handler).
 *    `retry: false` → `discard` (`'retry-false'`); nothing is stored.
 * 2. Patch: `queue` = `retry_queue` if it is a non-empty string, else the
 *    fetched queue; `error_message` (10,000 chars, well-formed);
 *    `error_class`; first failure (no numeric `retry_count`): `failed_at` =
 *    now, `retry_count` = 0; later: `retried_at` = now, `retry_count` + 1,
 *    `failed_at` kept; `error_backtrace` when `backtrace` is `true` or a
 *    number (strict base64 of deflated JSON lines). Existing keys keep their
 *    place, new ones are appended in that order, as Ruby's hash does.
 * 3. Max retries = an integer `retry`, else `maxRetries` (25).
 * 4. `retry_count` < max (and, 7.1.3+, `failed_at + retry_for` not yet
 *    past) → `retry` at now + `retryDelaySec`; otherwise exhausted →
 *    `discard` (`'exhausted'`) when `dead` is `false`, else `dead`.
 *
 * `retry: 0` dies after one run; `retry: 2` runs 3 times and dies with
 * `retry_count: 2`. Never throws for a `raw` that `decodeJob` accepted.
 *
 * @example
 * handleFailure({ job, raw, queue: 'default', error, nowMs: clock.realMs() });
 * // { kind: 'retry', json: '{…,"failed_at":1795807921.1244085,"retry_count":0}', retryAtSec: …, … }
 */
export function handleFailure(input: FailureInput): FailureOutcome {
  const { job, raw, queue, error, nowMs, lock } = input;
  const base = {
    job,
    raw,
    queue,
    error,
    ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }),
  };
  const atEnd = lock === undefined ? {} : { unlock: lock };

  let retry: unknown = job.retry;
  const retryFromWorker = retry === undefined || retry === null;
  if (retryFromWorker) retry = input.worker?.retry ?? true;
  if (retry === false) return { kind: 'discard', reason: 'retry-false', ...base, ...atEnd };

  const nowSec = nowMs / 1000;
  const changes: Record<string, unknown> = {};
  if (retryFromWorker) changes.retry = retry;
  changes.queue = typeof job.retry_queue === 'string' && job.retry_queue !== '' ? job.retry_queue : queue;
  changes.error_message = errorMessageOf(error);
  changes.error_class = errorClassOf(error);
  const previous: unknown = job.retry_count;
  let count: number;
  if (typeof previous === 'number' && Number.isFinite(previous)) {
    changes.retried_at = nowSec;
    count = Math.trunc(previous) + 1;
  } else {
    changes.failed_at = nowSec;
    count = 0;
  }
  changes.retry_count = count;
  const backtrace = backtraceLimit(job.backtrace);
  if (backtrace !== null) changes.error_backtrace = encodeBacktrace(backtraceLines(error), backtrace.limit);
  const json = patchJob(raw, changes, input.timestamps);

  const max = typeof retry === 'number' && Number.isInteger(retry) ? retry : (input.maxRetries ?? DEFAULT_MAX_RETRIES);
  if (count < max && !retryForElapsed(job, count === 0 ? nowSec : job.failed_at, nowSec)) {
    const delaySec = retryDelaySec(count, Object.hasOwn(input, 'thrown') ? input.thrown : error, input.worker, input.random ?? Math.random, input.logger);
    const unlock = input.releaseLockOnRetry === true ? atEnd : {};
    return { kind: 'retry', ...base, json, retryAtSec: nowSec + delaySec, ...unlock };
  }
  if (job.dead === false) return { kind: 'discard', reason: 'exhausted', ...base, ...atEnd };
  return { kind: 'dead', ...base, json, ...atEnd };
}

/** Sidekiq 7.1.3+ `retry_for`: give up once `failed_at + retry_for` seconds is past. */
function retryForElapsed(job: JobPayload, failedAtSec: unknown, nowSec: number): boolean {
  const retryFor: unknown = job.retry_for;
  if (typeof retryFor !== 'number' || !Number.isFinite(retryFor)) return false;
  const failedAt = typeof failedAtSec === 'number' && Number.isFinite(failedAtSec) ? failedAtSec : nowSec;
  return failedAt + retryFor < nowSec;
}
