/**
 * @internal
 * Opening the connection pool of one Kiq instance at `start()`.
 */
import type { ResolvedConfig } from '../config/options.js';
import { KiqNotRunningError } from '../errors.js';
import { ConnectionPool, STALL_TIMEOUT_MS } from './connections.js';
import { redactUrl } from './redact-url.js';
import { describeRedisError } from './redis-error.js';

/**
 * Connect `config.poolSize` connections to `config.redisUrl`, named
 * `kiq:<identity>:pool:<n>`. Rejects with `KiqNotRunningError` naming the
 * (redacted) URL when Redis cannot be reached or used; the pool is closed then.
 * `version` is Kiq's, announced in each connection's `lib-name`.
 *
 * @example
 * const pool = await openPool(config, kiqVersion());
 */
export async function openPool(config: ResolvedConfig, version: string): Promise<ConnectionPool> {
  // CLIENT LIST: name=kiq:<identity>:pool:0 …, lib-name=ioredis(kiq_v<version>) on Redis 7.2+
  // (as Sidekiq 8.1's redis-client(sidekiq_v8.1.7)), so operators tell Kiq's connections from Ruby's
  const options = { clientInfoTag: `kiq_v${version}`, ...config.redis };
  const pool = new ConnectionPool(
    // a BLMOVE waits up to fetchInterval for its reply: only silence beyond that is a stall
    { url: config.redisUrl, options, stallTimeoutMs: STALL_TIMEOUT_MS + config.fetchInterval, logger: config.logger },
    config.poolSize,
    `kiq:${config.identity}`,
  );
  try {
    await pool.connect();
  } catch (error) {
    await pool.close();
    const info = describeRedisError(error);
    throw new KiqNotRunningError('start', `unable to ${info.permanent ? 'use' : 'reach'} Redis at ${redactUrl(config.redisUrl)}: ${info.message} (${info.cause})`, { cause: error });
  }
  return pool;
}
