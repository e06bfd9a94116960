/**
 * `kiq/web`: a dashboard for any Sidekiq-layout Redis (queues, running
 * jobs, retries, scheduled and dead jobs, processes, metrics, periodic
 * entries and, mounted in a Kiq process, its live actor tree) as one
 * request handler for `node:http` or a framework.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'kiq/web';
 * createServer(createDashboard({ redisUrl: 'redis://127.0.0.1:6379' })).listen(7433, '127.0.0.1');
 */
export { createDashboard, type DashboardHandler } from './handler.js';
export type { DashboardOptions } from './options.js';
export type { BasicAuthCredentials } from './security.js';
