/**
 * `kiq/admin`: Sidekiq's `Sidekiq::API` for Node. {@link Admin} reads and
 * changes any Sidekiq-layout Redis (Ruby Sidekiq 6.4 to 8.1, Kiq): stats,
 * history and execution metrics, queues (jobs, latency, pause, clear), processes and their
 * running jobs (quiet, stop, dump), and the retry, scheduled and dead sets
 * (list, find, filter, retry, add to queue, kill, delete, and all of them
 * in bulk). The `kiq` CLI and the `kiq/web` dashboard are built on it.
 *
 * @example
 * import { Admin } from 'kiq/admin';
 * const admin = new Admin(); // REDIS_URL, else redis://127.0.0.1:6379
 * console.log(await admin.stats());
 * await admin.close();
 *
 * The functions below the class are the same operations on an ioredis
 * client you manage yourself (the class delegates to them).
 */
export { Admin } from './admin.js';
export type { AdminOptions } from './options.js';
export { JobSet, type EntryRef, type ListOptions, type MoveResult } from './job-set.js';
export { AdminError, type AdminErrorKind } from '../errors.js';
export { clearQueue, latencyOf, listQueues, queueExists, queueInfos, readStats, type QueueInfo, type Stats } from './stats.js';
export { readHistory, MAX_HISTORY_DAYS, type HistoryDay } from './history.js';
export { readMetrics, metricsBuckets, MAX_METRICS_MINUTES, type JobClassMetrics } from './metrics.js';
export { pauseQueue, pausedQueues, unpauseQueue } from './pause.js';
export { deleteQueueJob, findQueueJobs, listQueueJobs, toQueueJob, type QueueJob, type QueueJobPage, type QueueOrder } from './queue-jobs.js';
export { decodeJob, displayClass, errorBacktrace, type JobHash } from './job-record.js';
export { readRedisInfo, parseInfo, type RedisInfo } from './redis-info.js';
export {
  listBusy,
  listProcesses,
  liveIdentities,
  resolveIdentities,
  signalProcesses,
  type BusyJob,
  type ProcessInfo,
  type ProcessSignal,
} from './processes.js';
export {
  GONE,
  clearSet,
  defaultOrder,
  deleteEntries,
  drainSet,
  enqueueAll,
  enqueueEntries,
  findEntries,
  keyEntries,
  listEntries,
  payloadToEnqueue,
  rangeEntries,
  toEntry,
  type EnqueueResult,
  type EntryPage,
  type ScoreOrder,
  type SetEntry,
  type SetName,
  type SkippedEntry,
} from './sets.js';
export { filterEntries, matchesFilter, type EntryFilter, type FilterOptions, type FilterPage } from './filter.js';
export { killAll, killEntries, type DeadTrim } from './kill.js';
