/**
 * The options of `new Admin(...)` and their checks: a bad one throws
 * `KiqConfigError` at construction, naming it, as Kiq's own options do.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { KiqConfigError } from '../errors.js';

/** Options of `new Admin(...)`; all optional. */
export interface AdminOptions {
  /** Redis to administer. @defaultValue `process.env.REDIS_URL`, else `redis://127.0.0.1:6379` */
  readonly redisUrl?: string;
  /** ioredis options for the connection (TLS, password, timeouts...), merged over Admin's (`lazyConnect` stays on). */
  readonly redis?: RedisOptions;
  /** Use this connected client instead of opening one; `close()` leaves it open. Excludes `redisUrl` and `redis`. */
  readonly client?: Redis;
  /** Kills keep the dead set below this many entries (Sidekiq `dead_max_jobs`). @defaultValue 10_000 */
  readonly deadLimit?: number;
  /** Kills drop dead entries older than this, ms (Sidekiq `dead_timeout_in_seconds`). @defaultValue 180 days */
  readonly deadTimeoutMs?: number;
  /** Now, epoch ms: latencies, `enqueued_at` of retried jobs, dead scores, history's today. @defaultValue `Date.now` */
  readonly now?: () => number;
}

const OPTION_NAMES = new Set(['redisUrl', 'redis', 'client', 'deadLimit', 'deadTimeoutMs', 'now']);

/** Throws `KiqConfigError` for an unknown key, a bad value or a client given with a URL. */
export function checkOptions(options: AdminOptions): void {
  if (typeof options !== 'object' || options === null) throw new KiqConfigError('options', 'an object', options);
  for (const [key, value] of Object.entries(options)) {
    if (OPTION_NAMES.has(key)) continue;
    const close = [...OPTION_NAMES].find((name) => name.toLowerCase() === key.toLowerCase());
    throw new KiqConfigError(key, `a known Admin option (${close ? `did you mean ${close}?` : `one of ${[...OPTION_NAMES].join(', ')}`})`, value);
  }
  if (options.client !== undefined && (options.redisUrl !== undefined || options.redis !== undefined)) {
    throw new KiqConfigError('client', 'given alone: a client comes connected, so redisUrl and redis do not apply', 'client with redisUrl/redis');
  }
  // duck-typed, not instanceof: the app's ioredis may be another copy than Kiq's
  const client = options.client as Partial<Redis> | undefined;
  if (client !== undefined && (typeof client.pipeline !== 'function' || typeof client.multi !== 'function' || typeof client.defineCommand !== 'function')) {
    throw new KiqConfigError('client', 'an ioredis Redis client', options.client);
  }
  if (options.deadLimit !== undefined && !(Number.isInteger(options.deadLimit) && options.deadLimit >= 1)) throw new KiqConfigError('deadLimit', 'an integer >= 1', options.deadLimit);
  if (options.deadTimeoutMs !== undefined && !(typeof options.deadTimeoutMs === 'number' && options.deadTimeoutMs > 0)) {
    throw new KiqConfigError('deadTimeoutMs', 'a positive number of milliseconds', options.deadTimeoutMs);
  }
  if (options.now !== undefined && typeof options.now !== 'function') throw new KiqConfigError('now', 'a function returning epoch ms', options.now);
}
