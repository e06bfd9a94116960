/**
 * @internal
 * Every default in one object, with its unit and where it comes from
 * (docs/kiq-elixir.md §13.1, Sidekiq `config.rb` DEFAULTS). Keys are the option
 * names; durations are milliseconds unless the name says otherwise.
 * `identity` and `redisUrl` depend on the environment: see `resolve.ts`.
 */
import { systemClock } from '../clock.js';
import { HEALTH_DEFAULTS } from '../health/options.js';
import type { ResolvedConfig } from './options.js';

/** Used when neither `redisUrl` nor `REDIS_URL` is set (docs/architecture.md §4). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Defaults of the `spool` option's fields besides `dir`. */
export const SPOOL_DEFAULTS = Object.freeze({
  mode: 'outage', // disk only while Redis does not take the writes
  maxBytes: 1024 ** 3, // bytes = 1 GiB, ~5 M jobs of 200 bytes
  after: 1_000, // ms a write may hang before the waiting jobs go to disk; a 10,000-job write on a busy host takes ~100 ms
  segmentBytes: 16 * 1024 ** 2, // bytes = 16 MiB per segment file
} as const);

/** Defaults of every option that has a static one. Frozen, shared by all instances. */
export const DEFAULTS = Object.freeze({
  queues: Object.freeze({ default: 25 }), // jobs at once per queue; Kiq `[default: 25]`, Sidekiq concurrency 5
  workers: Object.freeze([]), // none; Kiq resolves worker modules by name instead
  periodics: Object.freeze([]), // none; Kiq `periodics: []`
  extraReporters: Object.freeze([]), // none; Kiq `extra_reporters: []`
  middleware: Object.freeze([]), // none; Sidekiq's chains start empty too
  fetchInterval: 500, // ms, idle queue poll; Kiq `fetch_interval`
  prefetch: true, // fetch ahead of free slots while jobs are quick (src/server/job-pace.ts); Sidekiq does not
  flushInterval: 10, // ms, first push backoff step; Kiq `flush_interval` (its flush period)
  flushMaxInterval: 5_000, // ms, push backoff cap (×1.5 steps); Kiq Client constant
  bufferLimit: 100_000, // jobs; Kiq's buffer is unbounded (docs/kiq-elixir.md bug 4)
  spool: undefined, // off: a crash loses what the buffer holds (issue 13); see SPOOL_DEFAULTS
  poolSize: 5, // connections; Kiq `pool_size`
  deadLimit: 10_000, // jobs; Kiq `dead_limit`, Sidekiq `dead_max_jobs`
  deadTimeout: 180 * 86_400_000, // ms = 6 months; Kiq `dead_timeout`, Sidekiq `dead_timeout_in_seconds`
  schedulers: Object.freeze(['retry', 'schedule'] as const), // Kiq `schedulers`
  pollInterval: 5_000, // ms average; Sidekiq `average_scheduled_poll_interval` (Kiq reuses fetch_interval)
  leaderTtl: 30_000, // ms, dear-leader TTL; Kiq `elect_ttl` is 60 s; Sidekiq Enterprise renews every 15 s
  livenessTtl: 10_000, // ms, kiq:leases lease, renewed every ttl/5; a crashed server's jobs run again within ~ttl × 1.5 (Sidekiq's 60 s hash: ~75 s)
  server: true, // Kiq `server?`
  testMode: 'disabled', // Kiq `test_mode: :disabled`
  timestamps: 'seconds', // float s with a fraction (6.4/7.x), read by all; 'ms' = Sidekiq 8's integer ms
  metrics: true, // Sidekiq 7+ always tracks (metrics/tracking.rb); `false` writes no j|… / h|… keys
  health: HEALTH_DEFAULTS, // no HTTP server; thresholds in src/health/options.ts
  quiet: false, // Kiq documents it but crashes on it (§1.1); we accept it
  tag: '', // Sidekiq `tag` (its default is the app directory's name; Kiq writes none unless given)
  shutdownTimeout: 25_000, // ms; Sidekiq `timeout` 25 s (Kiq kills running jobs at once)
  maxRestarts: 3, // restarts; OTP supervisor default `max_restarts`, as Kiq's root
  restartWindow: 5_000, // ms; OTP supervisor default `max_seconds` 5
  redis: Object.freeze({}), // ioredis options; Kiq `client_opts` minus `redis_url`
  clock: systemClock, // real time
  logger: console, // Kiq logs through Logger
} satisfies Omit<ResolvedConfig, 'identity' | 'redisUrl' | 'inspect'>);
