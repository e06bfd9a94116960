/**
 * @internal
 * The server's Redis operations for reliable fetch, ack, retry and dead
 * writes, scheduled polling, shutdown requeue and orphan recovery — one
 * concept per file, listed here by name.
 */
export { ackJobs, type FetchedJob } from './ack.js';
export { blockForJob, fetchBatch, fetchJobs } from './fetch.js';
export { killJob } from './kill-job.js';
export { pollDue } from './poll-due.js';
export { readPrivateLists, requeueEntries } from './reconcile-private.js';
export { recoverOrphans, takeBackOwn, type RecoverOptions, type RecoverResult } from './recover-orphans.js';
export { requeuePrivate } from './requeue-private.js';
export { retryJob } from './retry-job.js';
export { releaseUniqueLock } from './release-unique-lock.js';
