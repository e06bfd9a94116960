/**
 * The one connection of an `Admin`: opened lazily (no connection until the
 * first call, reconnected after an outage), or a client the caller owns;
 * every call goes through {@link AdminConnection.run}, which turns a Redis
 * failure into an `AdminError` that says what was asked and why it failed.
 */
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/defaults.js';
import { checkRedisUrl } from '../config/validate.js';
import { AdminError, KiqError } from '../errors.js';
import { redactUrl } from '../redis/redact-url.js';
import type { AdminOptions } from './options.js';

/** A connection to the administered Redis, with its failure translation. */
export class AdminConnection {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #url: string | undefined;
  #lastError: Error | undefined;
  #closed = false;

  /** Opens nothing yet: `options.client`, else a lazy client for `redisUrl` / `REDIS_URL`. */
  constructor(options: Pick<AdminOptions, 'redisUrl' | 'redis' | 'client'>) {
    if (options.client) {
      this.#redis = options.client;
      this.#owned = false;
      return;
    }
    const url = checkRedisUrl(options.redisUrl ?? (process.env.REDIS_URL || DEFAULT_REDIS_URL), 'redisUrl');
    this.#url = url;
    // A call during an outage fails after one reconnection attempt instead of waiting in the offline queue.
    this.#redis = new Redis(url, { connectionName: 'kiq:admin', maxRetriesPerRequest: 1, ...options.redis, lazyConnect: true });
    this.#owned = true;
    // Without a listener ioredis prints every connection error; the next failing call reports it instead.
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error;
    });
    this.#redis.on('ready', () => {
      this.#lastError = undefined;
    });
  }

  /** Runs `body` on the connection; a failure that is not already a KiqError becomes `AdminError` (`redis`). */
  async run<T>(what: string, body: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new AdminError('closed', `${what}: this Admin is closed`);
    try {
      return await body(this.#redis);
    } catch (error) {
      if (error instanceof KiqError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const unreachable = this.#lastError !== undefined && this.#redis.status !== 'ready';
      const where = this.#url === undefined ? '' : ` at ${redactUrl(this.#url)}`;
      const why = unreachable ? `cannot reach Redis${where}: ${this.#lastError!.message}` : message;
      throw new AdminError('redis', `${what}: ${why}`, { cause: error });
    }
  }

  /** Quits the connection if it is ours (a given client stays open); later runs reject as closed. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    if (this.#redis.status === 'wait' || this.#redis.status === 'end') this.#redis.disconnect();
    else await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
