/**
 * @internal
 * A short-lived, checked connection for tools (the CLI, the demo): the URL
 * is checked before use and connecting has a short timeout, so an
 * unreachable Redis is one clear error naming the URL with its password
 * redacted, not a hang. The runtime's own connections are in
 * src/redis/connections.ts.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from './redact-url.js';
import { describeRedisError } from './redis-error.js';

/** How long connecting may take before {@link connectRedis} gives up, ms. */
export const CONNECT_TIMEOUT_MS = 2_000;

/** What a Redis URL looks like, for messages about one that is not. */
const REDIS_URL_SHAPE = 'redis://[[user]:password@]host[:port][/db] or rediss://...';

/** {@link connectRedis} could not reach Redis; the message names the URL (password redacted) and why. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
}

/**
 * Why `url` is not a Redis URL {@link connectRedis} takes, as a message
 * naming it (password redacted), or `undefined` when it is one: `redis://`
 * or `rediss://` with a host, an optional port (1-65535) and an optional
 * numeric database index.
 *
 * @example
 * redisUrlProblem('http://cache'); // 'bad Redis URL "http://cache": unsupported scheme "http" (expected redis://…)'
 */
export function redisUrlProblem(url: string): string | undefined {
  const why = urlFault(url);
  return why === undefined ? undefined : `bad Redis URL "${redactUrl(url)}": ${why} (expected ${REDIS_URL_SHAPE})`;
}

/** What is wrong with `url`, in a few words; `undefined` when nothing is. */
function urlFault(url: string): string | undefined {
  if (!URL.canParse(url)) return 'not a URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return `unsupported scheme "${parsed.protocol.replace(/:$/, '')}"`;
  if (parsed.hostname === '') return 'no host';
  if (parsed.port !== '' && (Number(parsed.port) < 1 || Number(parsed.port) > 65_535)) return `bad port ${parsed.port}`;
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return `database "${db}" is not a number`;
  return undefined;
}

/**
 * Why a connection failed, in a few words: Redis's plain-words explanation
 * (src/redis/redis-error.ts), except for what only connecting shows — the
 * timeout, and a server that does not speak RESP.
 */
function reason(error: unknown): string {
  if ((error as { code?: unknown }).code === 'ETIMEDOUT') return `timed out after ${CONNECT_TIMEOUT_MS / 1000} s`;
  const message = error instanceof Error ? error.message : String(error);
  if (/Unknown RESP type|Protocol error/i.test(message)) return 'not a Redis server (the reply is not RESP)';
  return describeRedisError(error).message;
}

/**
 * A ready ioredis client for `url`. A URL {@link redisUrlProblem} refuses
 * throws a `TypeError`; a Redis not reached within
 * {@link CONNECT_TIMEOUT_MS} rejects with {@link RedisUnreachableError}:
 * `cannot reach Redis at <url>: connection refused`. No reconnection and no
 * offline queue: a command on a lost connection fails at once. The caller
 * `quit()`s it.
 *
 * @example
 * const redis = await connectRedis('redis://127.0.0.1:6379', { connectionName: 'kiq:demo' });
 */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const problem = redisUrlProblem(url);
  if (problem !== undefined) throw new TypeError(problem);
  let lastError: unknown;
  const redis = new Redis(url, {
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
    throw new RedisUnreachableError(`cannot reach Redis at ${redactUrl(url)}: ${reason(cause)}`, { cause });
  } finally {
    clearTimeout(timer);
  }
}
