/**
 * @internal
 * The per-job path: one fetched string in, one {@link JobOutcome} out.
 * Kiq's Runner order (docs/kiq-elixir.md §4.3) without its bugs (§16.1):
 * decoding is inside the protected part and accepts any extra key (item 8),
 * every throw — strings, `undefined`, objects — is a failure (item 9), the
 * failure path is Sidekiq's (item 11) and unique locks are released by jid
 * (item 12).
 *
 * 1. decode (`decodeJob`)            → `invalid` (the raw string goes to dead)
 * 2. `expires_at` strictly before now → `aborted` / `expired`
 * 3. process stopping already         → `aborted` / `shutdown` (not started)
 * 4. `deps.onStart` (awaited; releases a `unique_until: 'start'` lock)
 * 5. find the worker by `class`       → unknown: a failure (`UnknownWorkerError`)
 * 6. `await worker.perform(args, ctx)`
 * 7. resolved → `success`; threw → `aborted` / `shutdown` when caused by the
 *    stop signal, else `handleFailure` → `retry` | `dead` | `discard`.
 */
import type { TimestampFormat } from '../../job/timestamp.js';
import type { Clock } from '../../clock.js';
import { logEvent, type Logger } from '../../logger.js';
import { InvalidJobError, UnknownWorkerError } from '../../errors.js';
import { decodeJob } from '../../job/decode.js';
import { performThrough, type ServerChain } from '../../job/middleware.js';
import type { JobPayload } from '../../job/payload.js';
import type { JobContext, Worker } from '../../worker.js';
import { toError } from '../../job/error-fields.js';
import { handleFailure } from './failure.js';
import type { JobOutcome, JobStart } from '../../job-events.js';
import { causedByShutdown } from './shutdown.js';
import { uniqueLockOf, unlockOf } from './unique-lock.js';

/** What {@link runJob} needs from its caller. */
export interface RunnerDeps {
  /** Registered workers by class name. */
  readonly workers: ReadonlyMap<string, Worker>;
  /** `realMs` for expiry and failure timestamps, `monoMs` for durations. */
  readonly clock: Clock;
  /**
   * Aborts when the process must stop before running jobs finish. Passed to
   * `perform` as `ctx.signal`. A job not yet started when it has aborted is
   * not started; a job whose `perform` then fails because of it ends as
   * `aborted` / `shutdown` (see {@link runJob}).
   */
  readonly signal: AbortSignal;
  /** Retries for `retry: true` (Sidekiq's `max_retries`). @defaultValue 25 */
  readonly maxRetries?: number;
  /** How `failed_at` / `retried_at` are written (the `timestamps` option). @defaultValue `'seconds'` */
  readonly timestamps?: TimestampFormat;
  /** Uniform [0, 1) for the retry jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Passed to `perform` as `ctx.logger`; also gets the runner's own warnings. @defaultValue `console` */
  readonly logger?: Logger;
  /**
   * Called (and awaited) once per job right before its worker is looked up
   * and performed — after decoding, the expiry check and the stop check —
   * so it is the place to release a start-policy unique lock
   * ({@link JobStart.unlock}), mark the job busy, or report it started. A
   * throw or rejection fails the job like a throwing `perform` (Sidekiq: a
   * raising server middleware); the start lock is then handed back in the
   * outcome's `unlock`. Without `onStart`, a start-policy lock can only be
   * released after the job, through the outcome's `unlock`.
   */
  readonly onStart?: (start: JobStart) => void | Promise<void>;
  /** The `server` middleware wrapping `perform` (src/job/middleware.ts); absent: `perform` is called directly. */
  readonly around?: ServerChain;
}

/**
 * Runs one fetched job and says how it ended. Never throws or rejects:
 * every input, every throw from `perform`, `onStart` or `retryIn`, ends as
 * one of the {@link JobOutcome} variants (an unexpected internal error
 * becomes `invalid`, so the raw string lands in the dead set, not lost).
 *
 * Shutdown: a promise cannot be killed, so when `deps.signal` aborts while
 * `perform` runs, `runJob` still waits for it to settle. If it resolves, the
 * outcome is `success` as usual. If it rejects with an error caused by the
 * abort (`signal.reason` or an `AbortError`, in its `cause` chain too), the
 * outcome is `aborted` / `shutdown`: the caller must not ack, so the job
 * stays in the private list and is requeued with its bytes unchanged, like
 * Sidekiq's `Sidekiq::Shutdown`. A caller that cannot wait (stop timeout)
 * requeues the job itself and ignores the late outcome. Any other error is a
 * normal failure. A `perform` that never settles keeps `runJob` pending.
 *
 * @example
 * const outcome = await runJob(raw, 'default', { workers, clock: systemClock, signal });
 * switch (outcome.kind) {
 *   case 'success': ack(outcome.raw); break;
 *   case 'retry': retryJob(outcome.json, outcome.retryAtSec, outcome.raw); break;
 *   // …
 * }
 */
export async function runJob(raw: string, fetchedQueue: string, deps: RunnerDeps): Promise<JobOutcome> {
  try {
    return await run(raw, fetchedQueue, deps);
  } catch (bug) {
    // Not reachable by any payload or job behaviour we know of; if it is,
    // the job goes to the dead set verbatim rather than vanishing.
    const error = new InvalidJobError(`the runner failed on this payload (${describeError(bug)})`, raw, { cause: bug });
    logEvent(deps.logger ?? console, 'error', 'runner_failed', { queue: fetchedQueue, error: error.message });
    return { kind: 'invalid', raw, queue: fetchedQueue, error };
  }
}

async function run(raw: string, queue: string, deps: RunnerDeps): Promise<JobOutcome> {
  let job: JobPayload;
  try {
    job = decodeJob(raw);
  } catch (error) {
    return { kind: 'invalid', raw, queue, error: asInvalidJobError(error, raw) };
  }

  const lock = uniqueLockOf(job, queue);
  const expiresAt: unknown = job.expires_at;
  if (typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt < deps.clock.realMs() / 1000) {
    return { kind: 'aborted', reason: 'expired', job, raw, queue, ...(lock === undefined ? {} : { unlock: unlockOf(lock) }) };
  }
  if (deps.signal.aborted) return { kind: 'aborted', reason: 'shutdown', job, raw, queue };

  const logger = deps.logger ?? console;
  const startLock = lock?.until === 'start' ? unlockOf(lock) : undefined;
  let releasedAtStart = false;
  let worker: Worker | undefined;
  let durationMs: number | undefined;
  try {
    if (deps.onStart !== undefined) {
      const started = deps.onStart(startLock === undefined ? { job, raw, queue } : { job, raw, queue, unlock: startLock });
      if (started !== undefined) await started; // no extra tick for a synchronous hook
      releasedAtStart = startLock !== undefined;
    }
    worker = deps.workers.get(job.class);
    if (worker === undefined) throw new UnknownWorkerError(job.class);
    const ctx: JobContext = {
      jid: typeof job.jid === 'string' ? job.jid : '',
      queue,
      retryCount: typeof job.retry_count === 'number' ? job.retry_count : 0,
      job,
      signal: deps.signal,
      logger,
    };
    const started = deps.clock.monoMs();
    try {
      const performed = performThrough(deps.around, worker, job.args, ctx);
      if (isThenable(performed)) await performed; // no extra tick for a synchronous perform
    } finally {
      durationMs = deps.clock.monoMs() - started;
    }
  } catch (thrown) {
    const error = toError(thrown);
    if (causedByShutdown(thrown, deps.signal)) return { kind: 'aborted', reason: 'shutdown', job, raw, queue, error };
    // A success-policy lock goes when the job ends; a start-policy lock not
    // released at start goes now, whatever the outcome.
    const owed = lock !== undefined && !releasedAtStart ? unlockOf(lock) : undefined;
    return handleFailure({
      job,
      raw,
      queue,
      error,
      thrown,
      nowMs: deps.clock.realMs(),
      ...(worker === undefined ? {} : { worker }),
      ...(deps.maxRetries === undefined ? {} : { maxRetries: deps.maxRetries }),
      ...(deps.timestamps === undefined ? {} : { timestamps: deps.timestamps }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
      logger,
      ...(owed === undefined ? {} : { lock: owed }),
      releaseLockOnRetry: startLock !== undefined && !releasedAtStart,
      ...(durationMs === undefined ? {} : { durationMs }),
    });
  }
  const unlock = lock !== undefined && !releasedAtStart ? unlockOf(lock) : undefined;
  return { kind: 'success', job, raw, queue, durationMs: durationMs ?? 0, ...(unlock === undefined ? {} : { unlock }) };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

function asInvalidJobError(error: unknown, raw: string): InvalidJobError {
  if (error instanceof InvalidJobError) return error;
  return new InvalidJobError(describeError(error), raw, { cause: error });
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unprintable error';
  }
}
