/**
 * The options `new Kiq(...)` takes ({@link KiqOptions}) and the validated,
 * fully populated configuration the runtime reads ({@link ResolvedConfig}).
 * Names mirror Kiq's Config (camelCase); every duration is in milliseconds
 * (restart intensity counts, pool and buffer sizes are counts).
 */
import type { RedisOptions } from 'ioredis';
import type { InspectionEvent, Observer } from 'xstate';
import type { Clock } from '../clock.js';
import type { HealthOptions, ResolvedHealth } from '../health/options.js';
import type { JobMiddleware } from '../job/middleware.js';
import type { Logger } from '../logger.js';
import type { Worker, WorkerOptions } from '../worker.js';

export type { Logger } from '../logger.js';

/** A job lifecycle event as reporters receive it (typed loosely until the reporter bus lands). */
export interface ReporterEvent {
  readonly type: 'started' | 'success' | 'aborted' | 'failure' | 'stopped';
  /** The decoded job payload. */
  readonly job: Record<string, unknown>;
  /** Run time in ms (`success`, `failure`). */
  readonly durationMs?: number;
  /** Why the job was aborted, e.g. `expired`, `shutdown`. */
  readonly reason?: string;
  /** The error a failed job threw. */
  readonly error?: unknown;
}

/** A user reporter (Kiq's `extra_reporters`): at least one callback must be given. */
export interface Reporter {
  /** A job began to run. */
  started?(event: ReporterEvent): void | Promise<void>;
  /** A job finished without error. */
  success?(event: ReporterEvent): void | Promise<void>;
  /** A job was aborted (see {@link ReporterEvent.reason}). */
  aborted?(event: ReporterEvent): void | Promise<void>;
  /** A job threw (see {@link ReporterEvent.error}). */
  failure?(event: ReporterEvent): void | Promise<void>;
  /** After the outcome's event, for a job that had started. */
  stopped?(event: ReporterEvent): void | Promise<void>;
}

/** The sorted sets a scheduler poller drains: `retry` (failed jobs) and `schedule` (`enqueue(..., { in })`). */
export type SchedulerName = 'retry' | 'schedule';

/**
 * How Kiq writes the job times `created_at`, `enqueued_at`, `failed_at` and
 * `retried_at`: `seconds`, float epoch seconds with a fraction (Sidekiq
 * 6.4/7.x, read right by every version), or `ms`, integer epoch milliseconds
 * (Sidekiq 8.x, read right by 8.x only).
 */
export type TimestampFormat = 'seconds' | 'ms';

/** `disabled` talks to Redis; `sandbox` keeps enqueued jobs in memory for `kiq/testing` assertions. */
export type TestMode = 'disabled' | 'sandbox';

/** An xstate inspection observer, or a plain function receiving every inspection event. */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Options of one periodic entry: the job's arguments plus worker-option overrides. */
export interface PeriodicOptions<Args extends readonly unknown[] = readonly unknown[]> extends WorkerOptions {
  /** Arguments passed to `perform`. @defaultValue `[]` */
  args?: Args;
}

/**
 * One periodic (cron) job: `[expression, worker, options?]`. The expression
 * has 5 fields (minute hour day-of-month month weekday, UTC), 6 with a
 * leading seconds field, or is an alias such as `@hourly`; the worker is a
 * worker or the class name of one (possibly a Ruby one). The options
 * (`args`, `queue`, `retry`, `uniqueFor`, `expiresIn`, …) override the
 * worker's for each enqueued job.
 */
export type PeriodicEntry =
  | readonly [cron: string, worker: Worker | string]
  | readonly [cron: string, worker: Worker | string, options: PeriodicOptions | undefined];

/** A validated periodic entry, as {@link ResolvedConfig.periodics} holds it. */
export interface Periodic {
  /** The cron expression, fields joined by single spaces (an `@alias` is kept as is). */
  readonly expression: string;
  readonly worker: Worker | string;
  readonly options: Readonly<PeriodicOptions>;
}

/** The `spool` option: where and when reliable push keeps jobs on disk. */
export interface SpoolOptions {
  /** Directory of the spool (created if missing); one process per directory (it is locked). */
  dir: string;
  /**
   * `outage`: jobs go to disk only while Redis does not take them (no cost
   * while it does); `always`: every job is on disk before it is pushed.
   * @defaultValue `'outage'`
   */
  mode?: 'outage' | 'always';
  /** Bytes on disk past which `enqueue` rejects with `BufferFullError`. @defaultValue `1_073_741_824` (1 GiB) */
  maxBytes?: number;
  /** In `outage` mode, a write to Redis in flight this long sends the waiting jobs to disk, ms. @defaultValue `1000` */
  after?: number;
  /** A segment file past this size is closed and a new one started, bytes. @defaultValue `16_777_216` (16 MiB) */
  segmentBytes?: number;
}

/** The `spool` option with its defaults filled in. */
export type ResolvedSpool = Readonly<Required<SpoolOptions>>;

/**
 * What `new Kiq(options)` accepts. Every option is optional; defaults are
 * Kiq's (see `src/config/defaults.ts`) unless noted. Invalid options throw a
 * `KiqConfigError` at construction; unknown keys too.
 */
export interface KiqOptions {
  /** Queue name → concurrency (positive integer). @defaultValue `{ default: 25 }` */
  queues?: Readonly<Record<string, number>>;
  /** Workers this instance can perform, unique by `class`. @defaultValue `[]` */
  workers?: readonly Worker[];
  /** Cron jobs (UTC), each occurrence enqueued once by the leader; missed ones are not back-filled. @defaultValue `[]` */
  periodics?: readonly PeriodicEntry[];
  /** Reporters called after the built-in ones. @defaultValue `[]` */
  extraReporters?: readonly Reporter[];
  /**
   * Client and server middleware (Sidekiq's chains): `client(job)` sees each
   * payload `enqueue` builds, `server(ctx, next)` wraps each `perform`; the
   * first is the outermost. `kiq/otel`'s `otelTracing()` is one (README
   * "Middleware"). @defaultValue `[]`
   */
  middleware?: readonly JobMiddleware[];
  /** Idle poll interval of the queue fetchers, ms. @defaultValue `500` */
  fetchInterval?: number;
  /**
   * While a queue's jobs are quick (under 2 ms on average lately), it
   * fetches 1 to 4 times its concurrency ahead of its free slots, the more
   * the quicker they are (src/server/job-pace.ts), so a round's fetch takes
   * more jobs; they wait in memory (and in the private list, safe from a
   * crash) for a slot, a few milliseconds while the jobs stay quick. Slow
   * jobs turn it off again. `false`: fetch only for free slots, as Sidekiq does (README
   * "Running jobs"). @defaultValue `true`
   */
  prefetch?: boolean;
  /** First backoff step of the reliable push after a failed write (×1.5 per failure), ms; writes themselves start as soon as jobs arrive. @defaultValue `10` */
  flushInterval?: number;
  /** Cap of the reliable-push backoff (×1.5 per failure), ms. @defaultValue `5000` */
  flushMaxInterval?: number;
  /** Jobs the reliable-push buffer holds before `enqueue` rejects with `BufferFullError`. @defaultValue `100_000` */
  bufferLimit?: number;
  /**
   * A local spool for reliable push: jobs enqueued while Redis is down go to
   * files in `spool.dir` and survive a crash (kill -9); the next start with
   * the same `dir` writes them to Redis once. Off by default (README
   * "Reliable push"). @defaultValue `undefined`
   */
  spool?: SpoolOptions;
  /** Redis connections in the pool. @defaultValue `5` */
  poolSize?: number;
  /** Most jobs kept in the dead set. @defaultValue `10_000` */
  deadLimit?: number;
  /** Age after which dead jobs are trimmed, ms. @defaultValue `15_552_000_000` (180 days) */
  deadTimeout?: number;
  /** Which scheduler pollers run. @defaultValue `['retry', 'schedule']` */
  schedulers?: readonly SchedulerName[];
  /** Average poll interval of the scheduler pollers (±5 % jitter), ms. @defaultValue `5000` */
  pollInterval?: number;
  /**
   * Lifetime of the leadership key (`dear-leader`) without renewal, ms. The
   * leader renews every ttl/4 and leads at most ttl − ttl/10 past each renew's
   * send; followers try every ttl/2. A crashed leader is replaced within about
   * ttl. At least 100. @defaultValue `30_000`
   */
  leaderTtl?: number;
  /**
   * Lifetime of this server's liveness lease (`kiq:leases`) without renewal,
   * ms. It is renewed every ttl/5 on the event loop; every Kiq server checks
   * every ttl/5 (± 50 %) for servers whose lease has ended and puts their
   * in-flight jobs back on their queues, so a crashed server's jobs run
   * again about ttl to ttl × 1.5 after its last renewal (leader or not). A
   * server whose event loop is blocked longer than about ttl − ttl/5 (a
   * CPU-bound job) loses its jobs the same way: they run again elsewhere
   * (at-least-once). At least 1000. @defaultValue `10_000`
   */
  livenessTtl?: number;
  /** `false`: enqueue only (no queues, pollers, leader, periodics, heartbeat). @defaultValue `true` */
  server?: boolean;
  /** `sandbox` keeps jobs in memory for `kiq/testing`. @defaultValue `'disabled'` */
  testMode?: TestMode;
  /**
   * Write execution metrics (per job class: runs, failures, run time and a
   * run-time histogram) in Sidekiq 7.x's and 8.x's layouts, so the Metrics
   * tab of both Web UIs shows Kiq's jobs. Gathered in memory, written with
   * every heartbeat and at stop. @defaultValue `true`
   */
  metrics?: boolean;
  /**
   * How Kiq writes the job times `created_at`, `enqueued_at`, `failed_at`
   * and `retried_at`: `'seconds'`, float epoch seconds with a fraction, as
   * Sidekiq 6.4/7.x write them and every version reads them; or `'ms'`,
   * integer epoch milliseconds as Sidekiq 8.x writes them, for clusters whose
   * every reader is 8.x (6.4/7.x would show 1970-ish dates and huge
   * latencies). Kiq reads both either way. Scores and heartbeat times stay
   * seconds, as in 8.x. @defaultValue `'seconds'`
   */
  timestamps?: TimestampFormat;
  /**
   * Health and metrics: thresholds of `kiq.health()`, and with a `port` the
   * `GET /healthz`, `/readyz` and `/metrics` endpoints (README "Health and
   * metrics"). @defaultValue `{}`: default thresholds, no HTTP server
   */
  health?: HealthOptions;
  /** Start quiet: fetch nothing until `kiq.configure({ quiet: false })`. @defaultValue `false` */
  quiet?: boolean;
  /**
   * Process identity in Redis; must not contain `|`. It names this server's
   * private lists: a server started with a configured identity takes back,
   * before it fetches, whatever that identity's lists hold (a crashed
   * predecessor's jobs), so two live processes must never share one.
   * @defaultValue `hostname:pid:12-hex-nonce`
   */
  identity?: string;
  /** A tag for this process, shown by the Web UI's Busy page and `kiq processes` (Sidekiq's `tag`). @defaultValue `''` */
  tag?: string;
  /** How long `stop()` waits for running jobs before requeueing them, ms. @defaultValue `25_000` */
  shutdownTimeout?: number;
  /** Restart intensity: most restarts of a child within `restartWindow`. @defaultValue `3` */
  maxRestarts?: number;
  /** Restart intensity window, ms (OTP's `max_seconds`: 5 s). @defaultValue `5000` */
  restartWindow?: number;
  /** ioredis options (tls, sentinels, name, password, …), passed through untouched. @defaultValue `{}` */
  redis?: RedisOptions;
  /** `redis://` or `rediss://` URL. @defaultValue `process.env.REDIS_URL`, else `redis://127.0.0.1:6379` */
  redisUrl?: string;
  /**
   * Runtime configuration hook, awaited by `start()` (never at construction).
   * It receives the constructor options; the keys it returns override them
   * (a key returned as `undefined` falls back to its default).
   */
  init?: (options: KiqOptions) => KiqOptions | Promise<KiqOptions>;
  /** Time source, for tests. @defaultValue `systemClock` */
  clock?: Clock;
  /** Observer of every actor in the tree (xstate inspection). @defaultValue none */
  inspect?: InspectOption;
  /** Where Kiq logs. @defaultValue `console` */
  logger?: Logger;
}

/**
 * The configuration after layering defaults → constructor options → `init`
 * result, validated and frozen. `identity` is always set; `redis`, workers,
 * reporters, `clock` and `logger` are the caller's own objects, untouched.
 */
export interface ResolvedConfig
  extends Readonly<
    Required<
      Omit<KiqOptions, 'queues' | 'workers' | 'periodics' | 'extraReporters' | 'middleware' | 'schedulers' | 'init' | 'inspect' | 'spool' | 'health'>
    >
  > {
  readonly spool: ResolvedSpool | undefined;
  readonly health: ResolvedHealth;
  readonly queues: Readonly<Record<string, number>>;
  readonly workers: readonly Worker[];
  readonly periodics: readonly Periodic[];
  readonly extraReporters: readonly Reporter[];
  readonly middleware: readonly JobMiddleware[];
  readonly schedulers: readonly SchedulerName[];
  readonly inspect: InspectOption | undefined;
}
