/**
 * @internal
 * `kiq web`: the dashboard (`kiq/web`) on a `node:http` server until
 * SIGTERM/SIGINT. Binds 127.0.0.1 by default and refuses any other address
 * without basic auth (credentials from the environment, never the command
 * line, where `ps` shows them).
 */
import { createServer } from 'node:http';
import { createDashboard } from '../../web/handler.js';
import { isLoopback } from '../../web/security.js';
import { HELP_OPTION, REDIS_URL_OPTION, integerOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError, type Command } from '../command.js';
import { redactUrl } from '../../redis/redact-url.js';
import { checkRedisUrl, resolveRedisUrl, withRedis } from '../redis.js';

/** Default port (no other job dashboard uses it). */
export const DEFAULT_WEB_PORT = 7433;

const USAGE = `Usage: kiq web [--port <p>] [--host <addr>] [--redis-url <url>] [--prefix /kiq] [--read-only]

Serves the dashboard: queues, running jobs, retries, scheduled and dead
jobs, processes (Ruby Sidekiq and Kiq alike), metrics and the leader, for
any Sidekiq-layout Redis, until SIGTERM or SIGINT (Ctrl-C).

Options:
  --port <p>         default ${DEFAULT_WEB_PORT} (0: any free port)
  --host <addr>      default 127.0.0.1 (this machine only)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379
  --prefix <path>    serve under a path, e.g. /kiq (behind a reverse proxy)
  --read-only        no buttons; every POST is refused
  --allow-unauthenticated
                     bind a non-loopback host without basic auth (only when a
                     proxy in front authenticates every request)

Environment:
  KIQ_WEB_USERNAME, KIQ_WEB_PASSWORD   require HTTP basic auth with these

A host other than loopback needs KIQ_WEB_PASSWORD (or --allow-unauthenticated):
the dashboard deletes jobs and stops processes, and job arguments often hold
personal data.
`;

/** `kiq web`. */
export const webCommand: Command = {
  summary: 'serve the dashboard (queues, busy, retries, scheduled, dead, metrics) on 127.0.0.1',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('web', {
      args: [...argv],
      options: {
        ...HELP_OPTION,
        ...REDIS_URL_OPTION,
        port: { type: 'string' },
        host: { type: 'string' },
        prefix: { type: 'string' },
        'read-only': { type: 'boolean' },
        'allow-unauthenticated': { type: 'boolean' },
      },
    });
    const port = integerOption('web', 'port', values.port) ?? DEFAULT_WEB_PORT;
    if (port > 65_535) throw new UsageError(`option --port expects 0-65535, got ${port}`, 'web');
    const host = values.host ?? '127.0.0.1';
    const password = io.env.KIQ_WEB_PASSWORD;
    const basicAuth = password ? { username: io.env.KIQ_WEB_USERNAME ?? 'kiq', password } : undefined;
    if (!isLoopback(host) && !basicAuth && !values['allow-unauthenticated']) {
      throw new UsageError(
        `refusing to serve the dashboard on ${host} without authentication: set KIQ_WEB_PASSWORD (and KIQ_WEB_USERNAME), or pass --allow-unauthenticated when a proxy in front authenticates`,
        'web',
      );
    }
    const url = resolveRedisUrl(values['redis-url'], io.env);
    checkRedisUrl(url, 'web');
    // Fail fast on a wrong URL; the dashboard's own client then reconnects
    // after an outage (pages answer 503 meanwhile) instead of giving up.
    await withRedis(url, 'web', (probe) => probe.ping());
    let dashboard;
    try {
      // --allow-unauthenticated: the proxy in front decides, so every client it forwards is let in.
      const authorize = !basicAuth && values['allow-unauthenticated'] ? () => true : undefined;
      dashboard = createDashboard({ redisUrl: url, prefix: values.prefix, readOnly: values['read-only'] === true, basicAuth, authorize });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), 'web');
    }
    const server = createServer(dashboard);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await dashboard.close();
      throw new CliError(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
    }
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    if (!isLoopback(host) && !basicAuth) io.err(`kiq web: WARNING: serving ${shown}:${bound} WITHOUT authentication (--allow-unauthenticated)\n`);
    io.out(`kiq web: http://${shown}:${bound}${values.prefix ?? ''}/ (Redis ${redactUrl(url)}${values['read-only'] ? ', read-only' : ''}${basicAuth ? ', basic auth' : ''}); Ctrl-C stops\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dashboard.close();
    io.out('kiq web: stopped\n');
    return EXIT.OK;
  },
};
