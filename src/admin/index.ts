/**
 * @internal
 * Administration of a Sidekiq/Kiq Redis, shared by the `kiq` CLI and the
 * demo: dashboard numbers and queues ({@link readStats}, {@link listQueues}),
 * processes and running jobs ({@link listProcesses}, {@link listBusy}), the
 * retry/schedule/dead sets ({@link listEntries}, {@link findEntries},
 * {@link enqueueEntries}, {@link deleteEntries}) and process signals
 * ({@link signalProcesses}), paused queues ({@link pauseQueue},
 * {@link unpauseQueue}, {@link pausedQueues}). Every function takes a connected ioredis client.
 */
export { pauseQueue, pausedQueues, unpauseQueue } from './pause.js';
export { clearQueue, latencyOf, listQueues, readStats, type QueueInfo, type Stats } from './stats.js';
export {
  listBusy,
  listProcesses,
  liveIdentities,
  signalProcesses,
  type BusyJob,
  type ProcessInfo,
  type ProcessSignal,
} from './processes.js';
export {
  clearSet,
  deleteEntries,
  enqueueAll,
  enqueueEntries,
  findEntries,
  listEntries,
  payloadToEnqueue,
  toEntry,
  type EnqueueResult,
  type EntryPage,
  type SetEntry,
  type SetName,
} from './sets.js';
