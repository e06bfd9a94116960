/**
 * @internal
 * Redis connections for one Kiq instance: a small round-robin pool for
 * ordinary commands and scripts, plus dedicated connections for blocking
 * commands (BLMOVE), which would stall a shared connection.
 *
 * Every connection fails fast while Redis is unreachable (no offline queue,
 * no per-request retries): a command sent during an outage rejects at once,
 * so the IO actors back off and keep their jobs instead of hanging
 * (docs/architecture.md §6 item 3). ioredis keeps reconnecting in the background.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { logEvent, type Logger } from '../logger.js';
import { describeRedisError } from './redis-error.js';
import { watchStalls } from './stall-watch.js';

/**
 * How long a connection may receive nothing while a command waits before it
 * counts as stalled and is dropped and reconnected, ms (src/redis/stall-watch.ts,
 * or ioredis `socketTimeout` when the `redis` options set one; blocking
 * calls add their own wait). A blackholed
 * connection (a partition, a dead NAT entry: no RST) otherwise hangs its
 * commands forever. TCP keepalive does not help (Linux gives up after ~11
 * minutes, and a proxy or NAT in between answers the probes itself), nor does
 * `commandTimeout` (it rejects the command but keeps the dead socket, and it
 * would cut every BLMOVE). 10 s is far above any reply a healthy Redis gives
 * Kiq (its largest call, a 100-job poll, takes milliseconds) and still bounds
 * a stall well inside the 60 s heartbeat TTL; measured through a proxy that
 * stops forwarding: `redis_stalled` 11.0 s after the stall, the watch's
 * checks included (test/server/redis-messages.test.ts).
 */
export const STALL_TIMEOUT_MS = 10_000;

/** Where and how to connect. */
export interface ConnectionSettings {
  /** `redis://` or `rediss://` URL (may carry user, password and DB index). */
  readonly url: string;
  /** ioredis options, passed through (TLS, Sentinel, password, …); they override the URL. */
  readonly options: RedisOptions;
  /** Stall bound, ms (watched by `watchStalls`, unless `options` sets ioredis's `socketTimeout`, which then applies instead). @defaultValue {@link STALL_TIMEOUT_MS} */
  readonly stallTimeoutMs?: number;
  /** Where a stalled connection is reported (`redis_stalled`); absent: not logged. */
  readonly logger?: Logger;
}

/** Options Kiq forces so IO errors surface instead of queueing forever. */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  lazyConnect: true,
};

/**
 * `name` as Redis takes it for `CLIENT SETNAME`: every character outside
 * `!`–`~` (a space in a configured identity, say) becomes `_`. Redis
 * refuses such a name, and ioredis ignores that error, so the connection
 * would show up unnamed.
 *
 * @example
 * clientName('kiq:web 1:pool:0'); // 'kiq:web_1:pool:0'
 */
export function clientName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '_');
}

/**
 * Open a connection; `name` shows in `CLIENT LIST` (ioredis sends `CLIENT
 * SETNAME`, then `CLIENT SETINFO LIB-NAME`/`LIB-VER`, which Redis < 7.2
 * refuses and ioredis ignores). Scripts run on it through `callScript` and
 * `runScript` (src/redis/call.ts, src/redis/scripts.ts): none is defined on it.
 */
export function openConnection(settings: ConnectionSettings, name: string): Redis {
  const redis = new Redis(settings.url, {
    connectionName: clientName(name),
    ...settings.options,
    ...FAIL_FAST,
    retryStrategy: settings.options.retryStrategy ?? ((times) => Math.min(50 * times, 1000)),
  });
  if (settings.options.socketTimeout === undefined) watchStalls(redis, settings.stallTimeoutMs ?? STALL_TIMEOUT_MS);
  // ioredis emits 'error' for every failed reconnect; the IO actors report
  // outages themselves. A stall is news only here: say so, ioredis reconnects.
  redis.on('error', (error: unknown) => {
    if (!settings.logger || !/Socket timeout/.test(String(error))) return;
    const info = describeRedisError(error);
    logEvent(settings.logger, 'warn', 'redis_stalled', { connection: name, error: info.message, cause: info.cause });
  });
  return redis;
}

/** A round-robin pool plus named dedicated connections. */
export class ConnectionPool {
  readonly #settings: ConnectionSettings;
  readonly #prefix: string;
  readonly #pool: Redis[];
  readonly #dedicated = new Map<string, Redis>();
  #next = 0;

  /** Creates `size` pooled connections (not yet connected; see {@link connect}). */
  constructor(settings: ConnectionSettings, size: number, prefix = 'kiq') {
    this.#settings = settings;
    this.#prefix = prefix;
    this.#pool = Array.from({ length: size }, (_, i) => openConnection(settings, `${prefix}:pool:${i}`));
  }

  /** Number of pooled connections. */
  get size(): number {
    return this.#pool.length;
  }

  /**
   * Connect every pooled connection; rejects when Redis cannot be reached,
   * with Redis's own reply when it refused the connection (WRONGPASS, NOAUTH,
   * NOPERM: ioredis rejects `connect()` only with "Connection is closed").
   */
  async connect(): Promise<void> {
    await Promise.all(this.#pool.map((redis) => (redis.status === 'wait' ? connectOne(redis) : undefined)));
  }

  /**
   * Call `listener` whenever a pooled connection becomes ready again after a
   * disconnect (not for the first connect), so IO loops waiting out a
   * backoff can retry at once.
   */
  onReconnect(listener: () => void): void {
    for (const redis of this.#pool) {
      let connectedOnce = redis.status === 'ready';
      redis.on('ready', () => {
        if (connectedOnce) listener();
        connectedOnce = true;
      });
    }
  }

  /** The next pooled connection, round-robin. */
  next(): Redis {
    const redis = this.#pool[this.#next]!;
    this.#next = (this.#next + 1) % this.#pool.length;
    return redis;
  }

  /**
   * A connection reserved for `purpose` (e.g. a fetcher's BLMOVE), created and
   * connecting on first use. Until it is `ready` commands on it fail fast;
   * its user treats that like any other Redis error.
   */
  dedicated(purpose: string): Redis {
    let redis = this.#dedicated.get(purpose);
    if (!redis) {
      redis = openConnection(this.#settings, `${this.#prefix}:${purpose}`);
      this.#dedicated.set(purpose, redis);
      void redis.connect().catch(() => undefined);
    }
    return redis;
  }

  /** Close every connection: QUIT when connected, disconnect otherwise. */
  async close(): Promise<void> {
    const all = [...this.#pool, ...this.#dedicated.values()];
    this.#dedicated.clear();
    await Promise.all(
      all.map(async (redis) => {
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      }),
    );
  }
}

/** `redis.connect()`, rejecting with the reply error Redis sent during the handshake, if any. */
async function connectOne(redis: Redis): Promise<void> {
  let refused: Error | undefined;
  const onError = (error: Error) => {
    if (error.name === 'ReplyError' || /WRONGPASS|NOAUTH|NOPERM/.test(error.message)) refused ??= error;
  };
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    throw refused ?? error;
  } finally {
    redis.off('error', onError);
  }
}

/**
 * Resolves once `redis` is `ready`, or after `timeoutMs` whatever its state
 * (the caller's command then fails as usual). A dedicated connection is
 * created on first use: waiting for it avoids a failed first BLMOVE, which
 * would read as an outage in the log.
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}
