/**
 * @internal
 * Redis for the CLI: the URL from `--redis-url`, else `REDIS_URL`, else the
 * local default; checked before use (a bad URL is a usage error, exit 2) and
 * connected with a short timeout, so an unreachable Redis is one clear line
 * (exit 1) naming the URL with its password redacted, not a hang.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/defaults.js';
import { redactUrl } from '../redis/redact-url.js';
import { describeRedisError } from '../redis/redis-error.js';
import { CliError, EXIT, UsageError } from './command.js';

/** How long connecting may take before the CLI gives up, ms. */
export const CONNECT_TIMEOUT_MS = 2_000;

/** `--redis-url`, else `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export function resolveRedisUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag ?? (env.REDIS_URL || DEFAULT_REDIS_URL);
}

/**
 * Throws a {@link UsageError} unless `url` is `redis://` or `rediss://` with
 * a host, an optional port (1-65535) and an optional numeric database index.
 */
export function checkRedisUrl(url: string, command?: string): void {
  const bad = (why: string) =>
    new UsageError(`bad Redis URL "${redactUrl(url)}": ${why} (expected redis://[[user]:password@]host[:port][/db] or rediss://...)`, command);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw bad(`unsupported scheme "${parsed.protocol.replace(/:$/, '')}"`);
  if (parsed.hostname === '') throw bad('no host');
  if (parsed.port !== '' && (Number(parsed.port) < 1 || Number(parsed.port) > 65_535)) throw bad(`bad port ${parsed.port}`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw bad(`database "${db}" is not a number`);
}

/**
 * Why a connection failed, in a few words: Redis's plain-words explanation
 * (src/redis/redis-error.ts), except for what only connecting shows — the
 * CLI's own timeout, and a server that does not speak RESP.
 */
function reason(error: unknown): string {
  if ((error as { code?: unknown }).code === 'ETIMEDOUT') return `timed out after ${CONNECT_TIMEOUT_MS / 1000} s`;
  const message = error instanceof Error ? error.message : String(error);
  if (/Unknown RESP type|Protocol error/i.test(message)) return 'not a Redis server (the reply is not RESP)';
  return describeRedisError(error).message;
}

/**
 * A ready ioredis client for `url` (checked first), or a {@link CliError}
 * (exit 1): `cannot reach Redis at <url>: connection refused`. No
 * reconnection and no offline queue: a command on a lost connection fails
 * at once. The caller `quit()`s it.
 */
export async function connectRedis(url: string, options: RedisOptions = {}, command?: string): Promise<Redis> {
  checkRedisUrl(url, command);
  let lastError: unknown;
  const redis = new Redis(url, {
    connectionName: 'kiq:cli',
    ...options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: 30_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  redis.on('error', (error: unknown) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    });
    await Promise.race([redis.connect(), timeout]);
    await Promise.race([redis.ping(), timeout]);
    return redis;
  } catch (error) {
    redis.disconnect();
    const cause = lastError ?? error;
    throw new CliError(`cannot reach Redis at ${redactUrl(url)}: ${reason(cause)}`, EXIT.FAILURE, { cause });
  } finally {
    clearTimeout(timer);
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
