/**
 * The options of `createDashboard` (`kiq/web`), and their checks.
 */
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Kiq } from '../kiq.js';
import type { BasicAuthCredentials } from './security.js';

/** Options of `createDashboard`. */
export interface DashboardOptions {
  /** Redis to read, e.g. `redis://127.0.0.1:6379/0`; default: the `kiq`'s `redisUrl`, else `$REDIS_URL`, else `redis://127.0.0.1:6379`. Ignored when `redis` is given. */
  redisUrl?: string;
  /** A connected ioredis client to use instead (not closed by `close()`). */
  redis?: Redis;
  /** The Kiq instance this process runs: adds the live actor tree and its periodic entries. */
  kiq?: Kiq;
  /**
   * Path the dashboard is served under, e.g. `/kiq`. Requests whose URL
   * starts with it are served below it; frameworks that strip their mount
   * path (Express `app.use('/kiq', …)` sets `req.baseUrl`) are recognised
   * without it.
   */
  prefix?: string;
  /** Render no buttons and refuse every POST (403). @defaultValue `false` */
  readOnly?: boolean;
  /**
   * Decides per request; `false` answers 403. Runs before everything else,
   * assets included. With neither `authorize` nor `basicAuth` the dashboard
   * answers loopback clients only (`() => true` lets everyone in, e.g. behind
   * a proxy that authenticates).
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** HTTP basic auth every request must carry (401 otherwise). */
  basicAuth?: BasicAuthCredentials;
  /** Jobs per page. @defaultValue `25` */
  pageSize?: number;
  /** Where failures go (Redis lost, a page that could not be read). @defaultValue `console` */
  logger?: Pick<Logger, 'error'>;
}

/** Throws a `TypeError` naming the first bad option. */
export function checkOptions(options: DashboardOptions): void {
  if (options.prefix !== undefined && (typeof options.prefix !== 'string' || (options.prefix !== '' && !/^\/[^?#]*$/.test(options.prefix)))) {
    throw new TypeError(`createDashboard: prefix must start with "/" (e.g. "/kiq"), got ${JSON.stringify(options.prefix)}`);
  }
  if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize < 1 || options.pageSize > 1000)) {
    throw new TypeError(`createDashboard: pageSize must be an integer from 1 to 1000, got ${String(options.pageSize)}`);
  }
  const auth = options.basicAuth;
  if (auth !== undefined && (typeof auth.username !== 'string' || typeof auth.password !== 'string' || auth.password === '' || auth.username.includes(':'))) {
    throw new TypeError('createDashboard: basicAuth needs a username without ":" and a non-empty password');
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') throw new TypeError('createDashboard: authorize must be a function');
  if (options.logger !== undefined && typeof options.logger?.error !== 'function') throw new TypeError('createDashboard: logger needs an error(message) method');
}
