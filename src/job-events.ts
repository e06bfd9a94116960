/**
 * @internal
 * The job-event contract between the job path (src/server/runner/, which
 * produces these) and everything that observes it (reporters, the
 * heartbeat's process state, metrics, health): {@link JobStart} when a job
 * is about to run, {@link JobOutcome} when it has ended, and the
 * {@link JobHooks} that receive both. A leaf: observers do not import the
 * runner.
 *
 * An outcome is how one fetched job ended: a closed union the caller turns
 * into Redis writes (sidekiq `processor.rb`, `job_retry.rb`).
 * `runJob` never throws: everything that can happen to a job is one of
 * these. Every variant carries `raw` (the exact fetched string: the private
 * list is acked with `LREM private -1 raw`, a re-encoded string would match
 * nothing, docs/architecture.md §2) and `queue` (the queue it was fetched from).
 */
import type { InvalidJobError } from './errors.js';
import type { JobPayload } from './job/payload.js';

/**
 * A unique job's lock to release: `unique:<digest>` held by `jid`. Release
 * it with the compare-and-delete script (`release-lock.lua`), never a bare
 * DEL, so a late release never frees another job's lock. Releasing twice is
 * harmless.
 */
export interface UniqueLock {
  /** The lock key, `unique:<digest>` (src/redis/keys.ts `uniqueKey`). */
  readonly key: string;
  /** The jid the lock must still hold for the release to delete it. */
  readonly jid: string;
}

/** Fields every outcome has. */
interface OutcomeBase {
  /** The string exactly as fetched; the ack is `LREM <private list> -1 raw`. */
  readonly raw: string;
  /** The queue the job was fetched from (its private list is that queue's). */
  readonly queue: string;
}

/**
 * `perform` resolved.
 *
 * Caller: ack (`LREM` `raw` from the private list); count processed; when
 * `unlock` is present, release that lock (unique job, `unique_until` success
 * or absent). Nothing else is written.
 */
export interface SuccessOutcome extends OutcomeBase {
  readonly kind: 'success';
  readonly job: JobPayload;
  /** Run time of `perform`, monotonic ms. */
  readonly durationMs: number;
  readonly unlock?: UniqueLock;
}

/**
 * The job did not run to an end of its own.
 *
 * - `reason: 'expired'`: its `expires_at` had passed before it started; it
 *   never ran. Caller: ack; not retried, not sent to dead, not counted in
 *   stats (Pro expiry counts it as success for batches, docs/kiq-elixir.md §10);
 *   release `unlock` when present (the job is gone for good, so its lock
 *   would only block a new one).
 * - `reason: 'shutdown'`: the process is stopping (`deps.signal` aborted)
 *   and either the job was not started, or `perform` settled with an error
 *   caused by that abort (`error`). Caller: do **not** ack — the job stays
 *   in the private list and is requeued by the stop/recovery path, payload
 *   bytes unchanged (Sidekiq: `Sidekiq::Shutdown` is re-raised, not retried,
 *   and the job is requeued). Never carries `unlock`: the job keeps its
 *   lock until it runs again.
 */
export interface AbortedOutcome extends OutcomeBase {
  readonly kind: 'aborted';
  readonly job: JobPayload;
  readonly reason: 'expired' | 'shutdown';
  /** `shutdown` after `perform` failed: the abort-caused error. */
  readonly error?: Error;
  readonly unlock?: UniqueLock;
}

/**
 * Failed; retries are left.
 *
 * Caller: in one MULTI, `ZADD retry <retryAtSec> <json>` then ack `raw`;
 * count processed and failed. The lock of a unique job is kept while it
 * retries, so `unlock` is present only for a `unique_until: 'start'` job
 * whose lock was not released at start (no `deps.onStart`, or it failed).
 */
export interface RetryOutcome extends OutcomeBase {
  readonly kind: 'retry';
  readonly job: JobPayload;
  /** What was thrown, as an `Error` (a non-`Error` throw is wrapped; see `NonErrorThrown`). */
  readonly error: Error;
  /** The payload to store: `raw` patched losslessly with the failure fields. */
  readonly json: string;
  /** When it runs again: the `retry` score, float epoch seconds. */
  readonly retryAtSec: number;
  /** Run time of `perform`, ms; absent when it never ran (unknown worker, `onStart` failed). */
  readonly durationMs?: number;
  readonly unlock?: UniqueLock;
}

/**
 * Failed; retries are exhausted (or `retry: 0`), and `dead` is not `false`.
 *
 * Caller: in one MULTI, `ZADD dead <now> <json>` with the dead-set trim
 * (docs/sidekiq-contract.md §5.5) then ack `raw`; count processed and failed;
 * release `unlock` when present.
 */
export interface DeadOutcome extends OutcomeBase {
  readonly kind: 'dead';
  readonly job: JobPayload;
  readonly error: Error;
  /** The payload to store: `raw` patched losslessly with the failure fields. */
  readonly json: string;
  readonly durationMs?: number;
  readonly unlock?: UniqueLock;
}

/**
 * Failed and dropped: `reason: 'retry-false'` (`retry: false`, Sidekiq runs
 * only its death handlers) or `'exhausted'` (retries exhausted with
 * `dead: false`).
 *
 * Caller: report the failure; ack `raw`; count processed and failed; store
 * nothing; release `unlock` when present.
 */
export interface DiscardOutcome extends OutcomeBase {
  readonly kind: 'discard';
  readonly job: JobPayload;
  readonly error: Error;
  readonly reason: 'retry-false' | 'exhausted';
  readonly durationMs?: number;
  readonly unlock?: UniqueLock;
}

/**
 * The fetched string is not a job (not JSON, not an object, no `class`, no
 * array `args`, …): `error.payload === raw`.
 *
 * Caller: in one script, `ZADD dead <now> <wrapper>` with the dead-set trim,
 * then ack `raw`; the wrapper (src/job/dead-letter.ts) is a job-shaped
 * object carrying `raw` and `error.message`, since Sidekiq's Dead page
 * raises on a bare `42` or array (Sidekiq's `processor.rb` stores the raw
 * string); not counted in stats; logged once as `job_invalid`.
 */
export interface InvalidOutcome extends OutcomeBase {
  readonly kind: 'invalid';
  readonly error: InvalidJobError;
}

/** How one job ended; switch on `kind`. */
export type JobOutcome = SuccessOutcome | AbortedOutcome | RetryOutcome | DeadOutcome | DiscardOutcome | InvalidOutcome;

/** The outcomes of a job that failed (Sidekiq's retry, morgue, or drop). */
export type FailureOutcome = RetryOutcome | DeadOutcome | DiscardOutcome;

/**
 * A job about to be performed, as `RunnerDeps.onStart`
 * (src/server/runner/run-job.ts) and {@link JobHooks.started} receive it.
 *
 * @example
 * const onStart = async ({ job, unlock }: JobStart) => {
 *   if (unlock) await releaseLock(unlock); // compare-and-delete on unlock.jid
 * };
 */
export interface JobStart {
  readonly job: JobPayload;
  /** The string exactly as fetched. */
  readonly raw: string;
  /** The queue it was fetched from. */
  readonly queue: string;
  /**
   * Present for a unique job with `unique_until: 'start'`: release this
   * lock before returning (or resolving). `perform` is not called before
   * `onStart` has settled, so the release truly happens before the job runs.
   */
  readonly unlock?: UniqueLock;
}

/**
 * Observers of the job lifecycle: where the job path tells the rest of the
 * process what happens to jobs (the heartbeat's running-jobs table and
 * counters, the reporter bus, metrics). Called synchronously on the hot
 * path: implementations only record and return (anything slow is batched
 * and done elsewhere).
 */
export interface JobHooks {
  /** `start.job` is about to be performed (decoded, not expired, worker lookup next). */
  started(start: JobStart): void;
  /**
   * The job's outcome is settled in Redis (acked, retried, dead…). `started`
   * preceded it unless the job never started (invalid, expired, shutdown).
   */
  finished(outcome: JobOutcome): void;
}

/** Hooks that do nothing (client-only trees, tests). */
export const NO_HOOKS: JobHooks = { started() {}, finished() {} };

/** One {@link JobHooks} calling each of `hooks` in order. */
export function combineHooks(hooks: readonly JobHooks[]): JobHooks {
  if (hooks.length === 0) return NO_HOOKS;
  if (hooks.length === 1) return hooks[0]!;
  return {
    started(start) {
      for (const hook of hooks) hook.started(start);
    },
    finished(outcome) {
      for (const hook of hooks) hook.finished(outcome);
    },
  };
}
