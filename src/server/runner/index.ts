/**
 * @internal
 * The job runner: one fetched string in, one outcome out (run-job.ts), and
 * the pieces of Sidekiq's failure handling it is made of. The job-event
 * contract it produces (`JobOutcome`, `JobStart`) is src/job-events.ts.
 */
export { runJob, type RunnerDeps } from './run-job.js';
export { DEFAULT_MAX_RETRIES, handleFailure, type FailureInput } from './failure.js';
export { defaultDelaySec, jitterSec, retryDelaySec } from './backoff.js';
export { causedByShutdown } from './shutdown.js';
export { uniqueLockOf, type HeldLock } from './unique-lock.js';
