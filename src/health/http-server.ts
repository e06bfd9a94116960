/**
 * @internal
 * The health endpoints, on `node:http` (no framework):
 *
 * | route          | 200 when                                  | else |
 * | -------------- | ----------------------------------------- | ---- |
 * | `GET /healthz` | the report is `ok` or `degraded` (JSON)   | 503 with the same JSON when `failing` |
 * | `GET /readyz`  | started and Redis answers PING            | 503 |
 * | `GET /metrics` | Prometheus text exposition 0.0.4          | 404 with `prometheus: false`; 500 if collecting throws |
 *
 * `HEAD` is answered like `GET` without a body; other methods get 405,
 * other paths 404. The server never takes the process down: a failing
 * handler answers 500 and is logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logEvent, type Logger } from '../logger.js';
import type { HealthReport } from './report.js';

/** What the endpoints serve. */
export interface HealthHandlers {
  report(): Promise<HealthReport>;
  ready(): Promise<{ ready: boolean; reasons: string[] }>;
  /** The exposition text and its content type; `undefined`: metrics are off (`health.prometheus: false`). */
  metrics(): Promise<{ body: string; contentType: string } | undefined>;
  readonly logger: Logger;
}

/** A listening health server. */
export interface HealthServer {
  /** The port it listens on (the chosen one when 0 was given). */
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

async function route(req: IncomingMessage, res: ServerResponse, handlers: HealthHandlers): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const head = req.method === 'HEAD';
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n', head);
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
  }
  const json = 'application/json; charset=utf-8';
  if (path === '/healthz') {
    const report = await handlers.report();
    return send(res, report.status === 'failing' ? 503 : 200, json, `${JSON.stringify(report)}\n`, head);
  }
  if (path === '/readyz') {
    const ready = await handlers.ready();
    return send(res, ready.ready ? 200 : 503, json, `${JSON.stringify(ready)}\n`, head);
  }
  const metrics = await handlers.metrics();
  if (metrics === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'metrics are off (health.prometheus: false)\n', head);
  return send(res, 200, metrics.contentType, metrics.body, head);
}

/** Listens on `host:port`; resolves once listening, rejects (e.g. EADDRINUSE) naming the address. */
export function listenHealth(host: string, port: number, handlers: HealthHandlers): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    route(req, res, handlers).catch((error: unknown) => {
      logEvent(handlers.logger, 'error', 'health_endpoint_failed', { path: req.url, error: String(error) });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', req.method === 'HEAD');
      else res.destroy();
    });
  });
  // probes open a connection per check: do not keep idle ones past a probe period
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`health server: unable to listen on ${host}:${port}: ${error.message}`, { cause: error })));
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        host,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
