/**
 * @internal
 * The job runner: one fetched string in, one outcome out (run-job.ts), and
 * the pieces of Sidekiq's failure handling it is made of.
 */
export { runJob, type JobStart, type RunnerDeps } from './run-job.js';
export type {
  AbortedOutcome,
  DeadOutcome,
  DiscardOutcome,
  FailureOutcome,
  InvalidOutcome,
  JobOutcome,
  RetryOutcome,
  SuccessOutcome,
  UniqueLock,
} from './outcome.js';
export { DEFAULT_MAX_RETRIES, handleFailure, type FailureInput } from './failure.js';
export { defaultDelaySec, jitterSec, retryDelaySec } from './backoff.js';
export { backtraceLimit, backtraceLines, decodeBacktrace, encodeBacktrace } from './backtrace.js';
export { errorClassOf, errorMessageOf, MAX_ERROR_MESSAGE_CHARS, MESSAGE_THREW, NonErrorThrown, toError, truncateChars } from './error-fields.js';
export { causedByShutdown } from './shutdown.js';
export { uniqueLockOf, type HeldLock } from './unique-lock.js';
