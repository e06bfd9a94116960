/**
 * @internal
 * Redis for the CLI: the URL from `--redis-url`, else `REDIS_URL`, else the
 * local default; checked before use (a bad URL is a usage error, exit 2) and
 * connected by src/redis/connect.ts, so an unreachable Redis is one clear
 * line (exit 1) naming the URL with its password redacted, not a hang.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/defaults.js';
import { connectRedis as connect, RedisUnreachableError, redisUrlProblem } from '../redis/connect.js';
import { CliError, EXIT, UsageError } from './command.js';

/** `--redis-url`, else `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export function resolveRedisUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag ?? (env.REDIS_URL || DEFAULT_REDIS_URL);
}

/**
 * Throws a {@link UsageError} unless `url` is `redis://` or `rediss://` with
 * a host, an optional port (1-65535) and an optional numeric database index.
 */
export function checkRedisUrl(url: string, command?: string): void {
  const problem = redisUrlProblem(url);
  if (problem !== undefined) throw new UsageError(problem, command);
}

/**
 * A ready ioredis client for `url` (checked first), or a {@link CliError}
 * (exit 1): `cannot reach Redis at <url>: connection refused`. No
 * reconnection and no offline queue: a command on a lost connection fails
 * at once. The caller `quit()`s it.
 */
export async function connectRedis(url: string, options: RedisOptions = {}, command?: string): Promise<Redis> {
  checkRedisUrl(url, command);
  try {
    return await connect(url, { connectionName: 'kiq:cli', ...options });
  } catch (error) {
    if (error instanceof RedisUnreachableError) throw new CliError(error.message, EXIT.FAILURE, { cause: error.cause });
    throw error;
  }
}

/** Run `body` with a connected client, quitting it afterwards whatever happens. */
export async function withRedis<T>(url: string, command: string, body: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connectRedis(url, {}, command);
  try {
    return await body(redis);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
