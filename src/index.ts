/**
 * Kiq for Node: background jobs on Redis in Sidekiq's wire format.
 * This is the whole public surface of `kiq`; `kiq/testing` holds the test helpers.
 */
export { Kiq } from './kiq.js';
export type { EnqueueArgs, EnqueueResult, Job, KiqState, PushOptions, PushReceipt, StopOptions } from './kiq.js';
export { defineWorker } from './worker.js';
export { definePeriodic } from './periodic/define.js';
export type { PeriodicArgs } from './periodic/define.js';
export type { ArgsOf, JobContext, Worker, WorkerOptions } from './worker.js';
export type { EnqueueOptions, PlainJob } from './job/build.js';
export type { JobMiddleware } from './job/middleware.js';
export type { JobPayload, JsonValue, RetryOption, UniqueUntil } from './job/payload.js';
export type { PushStatus } from './client/entry.js';
export type {
  InspectOption,
  KiqOptions,
  Logger,
  PeriodicEntry,
  PeriodicOptions,
  Reporter,
  ReporterEvent,
  ResolvedConfig,
  ResolvedSpool,
  SchedulerName,
  SpoolOptions,
  TestMode,
  TimestampFormat,
} from './config/options.js';
export type { HealthOptions, ResolvedHealth } from './health/options.js';
export type { BufferHealth, HealthReport, HealthStatus, QueueHealth, RedisHealth, TreeHealth, TreeState } from './health/report.js';
export type { Clock } from './clock.js';
export { systemClock, ManualClock } from './clock.js';
export type { KiqEventName, KiqEvents, KiqListener } from './events.js';
export { CHANNEL_NAMES } from './telemetry.js';
export type {
  JobAbortedMessage,
  JobChannels,
  JobFailureMessage,
  JobMessage,
  JobMessageBase,
  JobStartedMessage,
  JobSuccessMessage,
} from './telemetry.js';
export type { JobAbortedEvent, JobEvent, JobFailureEvent, JobStartedEvent, JobStoppedEvent, JobSuccessEvent } from '../machines/reporter.js';
export { attachInspector, createJsonlRecorder } from './inspect/index.js';
export type { JsonlRecorder, JsonlRecorderOptions, JsonlSink } from './inspect/index.js';
export type { DumpedActor, DumpedJob, KiqDump } from './inspect/dump.js';
export {
  AdminError,
  BufferFullError,
  EscalationError,
  InvalidJobError,
  KiqConfigError,
  KiqError,
  KiqNotRunningError,
  ReporterDisabledError,
  ScriptError,
  SpoolError,
  SpoolLockedError,
  UnflushedJobsError,
  UnknownWorkerError,
} from './errors.js';
export type { AdminErrorKind, KiqErrorCode } from './errors.js';
