/**
 * `createDashboard`: the dashboard as one `(req, res, next?)` handler for
 * `node:http`, Express, Fastify (through its raw request), Koa or Hono's
 * node adapter. Order of checks on every request: mount path, then
 * `authorize` and basic auth (with neither, only loopback clients are
 * answered), then method (GET/HEAD read, POST changes), then for a POST:
 * read-only, same-origin and the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/defaults.js';
import { kConfig } from '../symbols.js';
import { allAction, bulkAction, entryActionRoute, queueAction, signalAction } from './actions.js';
import { asset, assetVersion } from './assets.js';
import { HttpError, type PageContext, type PageResult } from './context.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { checkOptions, type DashboardOptions } from './options.js';
import { busyPage } from './pages/busy.js';
import { dashboardPage, statsJson } from './pages/dashboard.js';
import { metricsPage } from './pages/metrics.js';
import { periodicPage } from './pages/periodic.js';
import { queueJobPage, queuePageView, queuesPage } from './pages/queues.js';
import { SET_VIEWS, setEntryPage, setListPage } from './pages/sets.js';
import { treeJson, treePage } from './pages/tree.js';
import { readForm, segments, splitPath } from './request.js';
import { basicAuthOk, crossSiteReason, isLoopback, newToken, safeEqual, setSecurityHeaders } from './security.js';
import { actorTree } from './tree.js';

/** The request handler `createDashboard` returns; `close()` disconnects the Redis client it opened. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Disconnect the Redis client the dashboard opened (not one passed as `redis`). */
  close(): Promise<void>;
  /** The anti-forgery token its forms carry (for scripts that POST to it). */
  readonly token: string;
}

type Json = { readonly json: unknown };
type Answer = PageResult | Json;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(head ? undefined : body);
}

/**
 * A dashboard handler. Mount it on a `node:http` server, or in a framework
 * under a path.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'kiq/web';
 * const dashboard = createDashboard({ redisUrl: 'redis://127.0.0.1:6379', basicAuth: { username: 'ops', password: process.env.KIQ_WEB_PASSWORD! } });
 * createServer(dashboard).listen(7433, '127.0.0.1');
 */
export function createDashboard(options: DashboardOptions = {}): DashboardHandler {
  checkOptions(options);
  const logger = options.logger ?? console;
  const url = options.redisUrl ?? options.kiq?.[kConfig].redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  // Its own connection, never the Kiq's: a slow page must not delay fetches or acks.
  const owned = options.redis ? undefined : new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000, connectionName: 'kiq:web' });
  let reported = false;
  owned?.on('error', (error: Error) => {
    // One line per outage, not one per reconnection attempt.
    if (!reported) logger.error(`kiq web: Redis: ${error.message}`);
    reported = true;
  });
  owned?.on('ready', () => {
    reported = false;
  });
  const redis = options.redis ?? owned!;
  const token = newToken();
  const tree = options.kiq ? actorTree(options.kiq) : undefined;
  const prefix = (options.prefix ?? '').replace(/\/$/, '');

  async function route(ctx: PageContext, method: string, req: IncomingMessage): Promise<Answer> {
    const parts = segments(ctx.path);
    const [first, second, third, fourth] = parts;
    if (method === 'GET') {
      if (parts.length === 0) return dashboardPage(ctx);
      if (first === 'stats.json' && parts.length === 1) return { json: await statsJson(ctx) };
      if (first === 'busy' && parts.length === 1) return busyPage(ctx);
      if (first === 'queues') {
        if (parts.length === 1) return queuesPage(ctx);
        if (parts.length === 2) return queuePageView(ctx, second!);
        if (parts.length === 4 && third === 'job' && /^\d+$/.test(fourth!)) return queueJobPage(ctx, second!, Number(fourth));
      }
      const view = first === undefined ? undefined : SET_VIEWS[first];
      if (view && Object.hasOwn(SET_VIEWS, first!)) {
        if (parts.length === 1) return setListPage(ctx, view);
        if (parts.length === 2) return setEntryPage(ctx, view, second!);
      }
      if (first === 'metrics' && parts.length === 1) return metricsPage(ctx);
      if (first === 'periodic' && parts.length === 1) return periodicPage(ctx);
      if (first === 'tree' && parts.length === 1 && ctx.tree) return treePage(ctx);
      if (first === 'tree.json' && parts.length === 1 && ctx.tree) return { json: treeJson(ctx) };
      throw new HttpError(404, 'no such page');
    }
    // POST: every check before anything is read or changed.
    if (ctx.readOnly) throw new HttpError(403, 'the dashboard is read-only');
    const crossSite = crossSiteReason(req);
    if (crossSite) throw new HttpError(403, `cross-site request refused (${crossSite})`);
    const form = await readForm(req);
    const sent = form.get('_csrf') ?? (typeof req.headers['x-kiq-token'] === 'string' ? req.headers['x-kiq-token'] : '');
    if (!safeEqual(sent, token)) throw new HttpError(403, 'missing or stale form token: reload the page and try again');
    if (first === 'busy' && parts.length === 2 && (second === 'quiet' || second === 'stop')) return signalAction(ctx, form, second === 'quiet' ? 'TSTP' : 'TERM');
    if (first === 'queues' && parts.length === 3) return queueAction(ctx, second!, third!, form);
    const view = first === undefined || !Object.hasOwn(SET_VIEWS, first) ? undefined : SET_VIEWS[first];
    if (view) {
      if (parts.length === 2 && second === 'bulk') return bulkAction(ctx, view, form);
      if (parts.length === 3 && second === 'all') return allAction(ctx, view, third!, form);
      if (parts.length === 3) return entryActionRoute(ctx, view, second!, third!);
    }
    throw new HttpError(404, 'no such action');
  }

  async function serve(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const where = splitPath(req, prefix);
    if (!where) {
      if (next) return next();
      setSecurityHeaders(res);
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', false);
    }
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    if (options.authorize && !(await options.authorize(req))) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n', false);
    // No authentication configured: this machine only, whatever address the server was bound to.
    if (!options.authorize && !options.basicAuth && !isLoopback(req.socket.remoteAddress ?? '')) {
      return send(res, 403, 'text/plain; charset=utf-8', 'the dashboard has no authentication configured: it answers only this machine (pass authorize or basicAuth to createDashboard)\n', false);
    }
    if (options.basicAuth && !basicAuthOk(req, options.basicAuth)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Kiq", charset="UTF-8"');
      return send(res, 401, 'text/plain; charset=utf-8', 'authentication required\n', false);
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const head = req.method === 'HEAD';
    const parts = where.path.split('/');
    if (method === 'GET' && parts[1] === 'assets' && parts.length === 3) {
      const file = asset(parts[2]!);
      if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
      res.setHeader('ETag', file.etag);
      // A versioned URL never changes content: cache it for a year; any other, revalidate.
      res.setHeader('Cache-Control', where.query.get('v') === assetVersion(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (req.headers['if-none-match'] === file.etag) {
        res.statusCode = 304;
        return void res.end();
      }
      return send(res, 200, file.type, file.body, head);
    }
    if (method !== 'GET' && method !== 'POST') {
      res.setHeader('Allow', 'GET, HEAD, POST');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
    }
    const ctx: PageContext = {
      redis,
      prefix: where.prefix,
      path: where.path,
      query: where.query,
      token,
      readOnly: options.readOnly === true,
      pageSize: options.pageSize ?? 25,
      nowMs: Date.now(),
      kiq: options.kiq,
      tree,
    };
    try {
      const answer = await route(ctx, method, req);
      if ('json' in answer) return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(answer.json), head);
      if ('redirect' in answer) {
        res.setHeader('Location', answer.redirect);
        return send(res, 303, 'text/plain; charset=utf-8', `see ${answer.redirect}\n`, head);
      }
      return send(res, 200, 'text/html; charset=utf-8', layout(ctx, answer.title, answer.body, answer.charts).value, head);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 503;
      const message = error instanceof HttpError ? error.message : `Redis error: ${error instanceof Error ? error.message : String(error)}`;
      if (!(error instanceof HttpError)) logger.error(`kiq web: ${req.method} ${where.path}: ${message}`);
      if (where.path.endsWith('.json')) return send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }), head);
      const title = status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : status >= 500 ? 'Unavailable' : 'Bad request';
      return send(res, status, 'text/html; charset=utf-8', layout(ctx, title, html`<p class="error">${message}</p>`).value, head);
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    serve(req, res, next).catch((error: unknown) => {
      logger.error(`kiq web: ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else res.destroy();
    });
  }) as DashboardHandler;
  handler.close = async () => {
    if (!owned || owned.status === 'end') return;
    if (owned.status === 'ready') await owned.quit().catch(() => owned.disconnect());
    else owned.disconnect(); // never connected, or reconnecting: nothing to flush
  };
  Object.defineProperty(handler, 'token', { value: token, enumerable: true });
  return handler;
}
