/**
 * @internal
 * Where the job path tells the rest of the process what happens to jobs:
 * the heartbeat's running-jobs table and counters, and the reporter bus.
 * Called synchronously on the hot path: implementations only record and
 * return (anything slow is batched and done elsewhere).
 */
import type { JobOutcome } from './runner/outcome.js';
import type { JobStart } from './runner/run-job.js';

/** Observers of the job lifecycle. */
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
