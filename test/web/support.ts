/**
 * Test helpers for the dashboard: a `node:http` server around
 * `createDashboard` on a free port, requests with the headers a browser
 * sends, and Sidekiq-layout data written the way Ruby Sidekiq writes it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createDashboard, type DashboardHandler } from '../../src/web/handler.js';
import type { DashboardOptions } from '../../src/web/options.js';

/** A dashboard served on 127.0.0.1. */
export interface Served {
  /** `http://127.0.0.1:<port>` (add the prefix yourself). */
  readonly base: string;
  readonly handler: DashboardHandler;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serve `createDashboard(options)` on a free loopback port. */
export async function serve(options: DashboardOptions): Promise<Served> {
  const handler = createDashboard(options);
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    handler,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

/** GET `url`, body as text. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * POST a form as a same-origin browser page would (Origin and
 * `Sec-Fetch-Site: same-origin`), with `token` as `_csrf` unless `null`.
 */
export async function post(
  url: string,
  fields: Record<string, string | string[]>,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; location: string | null }> {
  const body = new URLSearchParams();
  if (token !== null) body.set('_csrf', token);
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  const origin = new URL(url).origin;
  const res = await fetch(url, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

/** An attacker's payload: a script tag and an attribute break-out. */
export const XSS = `<script>alert("x")</script>"><img src=x onerror=alert(1)>'`;

/** Whether `html` contains the payload unescaped (a live tag). */
export function hasLiveXss(html: string): boolean {
  return html.includes('<script>alert') || html.includes('<img src=x');
}

/** A job payload as Sidekiq's client writes it (float-second timestamps). */
export function sidekiqJob(fields: Record<string, unknown>): Record<string, unknown> {
  const now = Date.now() / 1000;
  return { class: 'HardWorker', args: [1, 'two'], queue: 'default', retry: true, jid: 'aaaaaaaaaaaaaaaaaaaaaaaa', created_at: now, enqueued_at: now, ...fields };
}

/** A Ruby-Sidekiq-like live process with one running job (heartbeat hash, `:work` hash, `processes`). */
export async function writeProcess(
  redis: Redis,
  identity: string,
  info: Record<string, unknown>,
  running: Record<string, unknown>[] = [],
  fields: Record<string, string> = {},
): Promise<void> {
  const now = Date.now() / 1000;
  const multi = redis.multi().sadd('processes', identity);
  multi.hset(identity, { info: JSON.stringify({ hostname: 'rubyhost', pid: 1234, tag: '', concurrency: 5, queues: ['default'], labels: [], identity, started_at: now - 60, ...info }), busy: String(running.length), beat: String(now), quiet: 'false', rss: '65536', ...fields });
  multi.expire(identity, 60);
  running.forEach((job, i) => multi.hset(`${identity}:work`, `tid${i}`, JSON.stringify({ queue: job.queue ?? 'default', payload: JSON.stringify(job), run_at: Math.floor(now) - 2 })));
  await multi.exec();
}
