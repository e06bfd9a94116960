/**
 * @internal
 * `kiq work`: run a Kiq server for the workers of some modules until
 * SIGTERM/SIGINT, then stop gracefully; SIGTSTP quiets it, SIGTTIN dumps
 * the running jobs and the actor tree.
 */
import type { KiqOptions } from '../../config/options.js';
import { EscalationError, KiqConfigError } from '../../errors.js';
import type { Kiq } from '../../kiq.js';
import { kConfig } from '../../symbols.js';
import { kiqVersion } from '../../version.js';
import { HELP_OPTION, REDIS_URL_OPTION, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError, type CliIo, type Command } from '../command.js';
import { loadWorkerModules } from '../load-workers.js';
import { redactUrl } from '../../redis/redact-url.js';
import { checkRedisUrl, connectRedis, resolveRedisUrl } from '../redis.js';

/** `--health-port`'s value: a TCP port, 0 for any free one. */
export function parseHealthPort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) throw new UsageError(`option --health-port expects a TCP port (0 to 65535), got '${raw}'`, 'work');
  return port;
}

/** Concurrency of a `-q <queue>` given without one (Kiq's default queue has 25). */
export const DEFAULT_CONCURRENCY = 25;

/**
 * `-q` values to Kiq's `queues`: `name` or `name:concurrency`; the part after
 * the last `:` counts only when it is a number, so names may contain `:`.
 */
export function parseQueues(specs: readonly string[]): Record<string, number> {
  const queues: Record<string, number> = {};
  for (const spec of specs) {
    const match = /^(.*):(\d+)$/.exec(spec);
    const name = match ? match[1]! : spec;
    const concurrency = match ? Number(match[2]) : DEFAULT_CONCURRENCY;
    if (name === '') throw new UsageError(`option --queue: empty queue name in '${spec}'`, 'work');
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError(`option --queue: concurrency of '${name}' must be at least 1, got ${match![2]}`, 'work');
    if (Object.hasOwn(queues, name)) throw new UsageError(`option --queue: queue '${name}' given twice`, 'work');
    queues[name] = concurrency;
  }
  return queues;
}

const USAGE = `Usage: kiq work -r <module> [-r <module>...] [-q <queue>[:<concurrency>]...]
                [--timeout S] [--tag T] [--environment E] [--redis-url <url>]
                [--health-port <port> [--health-host <host>]]

Runs a Kiq server for the workers the modules export, until SIGTERM or
SIGINT (Ctrl-C): then it stops fetching, waits up to --timeout seconds for
running jobs, puts the others back at the front of their queues and exits 0.
A second SIGTERM/SIGINT exits 1 at once. SIGTSTP quiets it (no new jobs;
the Web UI shows it quiet). SIGTTIN logs the running jobs and the actor tree
(one JSON line, event "dump"), as 'kiq dump <identity>' does through Redis.
Quiet/Stop from the Web UI or 'kiq quiet/stop' work too.

Modules (ESM or CommonJS, paths relative to the working directory) export
workers: any object with a string \`class\` and a \`perform\` function, alone
(\`export const Mailer = defineWorker(...)\`), in an array (\`export const
workers = [...]\`), or in the default export (\`module.exports = { A, B }\`).
An optional \`export const options\` (KiqOptions: queues, periodics, ...) is
used as well; command-line options win over it.

Modules may be TypeScript (.ts): kiq work loads them through the app's own
tsx (npm install --save-dev tsx); without it, compile them to .js first.

Options:
  -r, --require <module>       worker module to load (repeatable, at least one)
  -q, --queue <name[:n]>       queue to work and its concurrency (repeatable;
                               default n ${DEFAULT_CONCURRENCY}). Without -q: options.queues, else
                               the queues the workers name
  --timeout S                  shutdown timeout in seconds (default: the
                               shutdownTimeout option, 25 s)
  --tag T                      a tag for this process: in the banner and the
                               heartbeat (the Web UI's Busy page shows it)
  --environment E              sets NODE_ENV before the modules load
  --redis-url <url>            default: options.redisUrl, $REDIS_URL, redis://127.0.0.1:6379
  --health-port <port>         serve GET /healthz (200 ok/degraded, 503 failing),
                               /readyz and /metrics (Prometheus) on this port
                               (0: any free one, printed at start)
  --health-host <host>         address the health port listens on (default
                               options.health.host, else 127.0.0.1; 0.0.0.0
                               for a Kubernetes probe from outside the pod)

Concurrency is per queue (-q default:10 -q mailers:5): there is no -c, as
each queue runs its own jobs at once (Sidekiq's -c is one pool for all).

Exit codes: 0 stopped cleanly, 1 Redis unreachable, a module failed to load,
jobs could not be written at stop, or a second signal; 2 bad arguments or
options.
`;

function banner(kiq: Kiq, queues: Readonly<Record<string, number>>, workers: readonly string[], url: string, extra: Record<string, string | undefined>): string {
  const rows: [string, string][] = [
    ['identity', kiq.identity],
    ['redis', redactUrl(url)],
    ['queues', Object.entries(queues).map(([name, n]) => `${name} (${n})`).join(', ')],
    ['workers', workers.join(', ')],
  ];
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) rows.push([name, value]);
  return `kiq ${kiqVersion()} (node ${process.version}, pid ${process.pid})\n${rows.map(([k, v]) => `  ${k.padEnd(12)}${v}`).join('\n')}\n`;
}

/** `kiq work`. */
export const workCommand: Command = {
  summary: 'run a server for the workers of some modules (-r), until SIGTERM/SIGINT',
  usage: USAGE,
  async run(argv, io) {
    const concurrency = argv.find((arg) => /^(?:-c|--concurrency)(?:=|\d|$)/.test(arg));
    if (concurrency !== undefined) {
      throw new UsageError(`unknown option ${concurrency.replace(/^(-c|--concurrency).*$/, '$1')}: concurrency is per queue, e.g. -q default:10 -q mailers:5 (Sidekiq's -c is one pool for every queue; Kiq has none)`, 'work');
    }
    const { values } = parseCommandArgs('work', {
      args: [...argv],
      options: {
        ...HELP_OPTION,
        ...REDIS_URL_OPTION,
        require: { type: 'string', short: 'r', multiple: true },
        queue: { type: 'string', short: 'q', multiple: true },
        timeout: { type: 'string', short: 't' },
        tag: { type: 'string' },
        environment: { type: 'string', short: 'e' },
        'health-port': { type: 'string' },
        'health-host': { type: 'string' },
      },
    });
    const modules = values.require ?? [];
    if (modules.length === 0) throw new UsageError('missing worker module: kiq work -r <module>', 'work');
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
        throw new UsageError(`option --timeout expects seconds (a number >= 0), got '${values.timeout}'`, 'work');
      }
      timeoutMs = Math.round(seconds * 1000);
    }
    const healthPort = values['health-port'] === undefined ? undefined : parseHealthPort(values['health-port']);
    if (values['health-host'] !== undefined && healthPort === undefined) throw new UsageError('option --health-host needs --health-port', 'work');
    if (values['health-host'] === '') throw new UsageError('option --health-host expects a host name or address', 'work');
    const cliQueues = values.queue ? parseQueues(values.queue) : undefined;
    if (values['redis-url'] !== undefined) checkRedisUrl(values['redis-url'], 'work');
    if (values.environment !== undefined) process.env.NODE_ENV = values.environment;

    const loaded = await loadWorkerModules(modules, io.cwd);
    if (loaded.workers.length === 0) {
      throw new UsageError(`no workers found in ${modules.join(', ')}: export objects with a string 'class' and a 'perform' function`, 'work');
    }
    const queues =
      cliQueues ??
      loaded.options.queues ??
      Object.fromEntries([...new Set(loaded.workers.map((w) => w.queue ?? 'default'))].map((name) => [name, DEFAULT_CONCURRENCY]));
    const url = values['redis-url'] ?? loaded.options.redisUrl ?? resolveRedisUrl(undefined, io.env);
    const options: KiqOptions = {
      ...loaded.options,
      workers: loaded.workers,
      queues,
      redisUrl: url,
      ...(timeoutMs === undefined ? {} : { shutdownTimeout: timeoutMs }),
      ...(values.tag === undefined ? {} : { tag: values.tag }),
      ...(healthPort === undefined
        ? {}
        : { health: { ...loaded.options.health, port: healthPort, ...(values['health-host'] === undefined ? {} : { host: values['health-host'] }) } }),
    };
    const { Kiq } = await import('../../kiq.js');
    let kiq: Kiq;
    try {
      kiq = new Kiq(options);
    } catch (error) {
      if (error instanceof KiqConfigError) throw new UsageError(`invalid options: ${error.message}`, 'work');
      throw error;
    }
    // a clear one-line error before the server starts retrying in the background
    const probe = await connectRedis(url, loaded.options.redis ?? {}, 'work');
    await probe.quit().catch(() => probe.disconnect());

    io.out(
      banner(kiq, queues, loaded.workers.map((w) => w.class), url, {
        tag: values.tag ?? loaded.options.tag,
        environment: values.environment,
        timeout: `${(timeoutMs ?? loaded.options.shutdownTimeout ?? 25_000) / 1000} s`,
      }),
    );
    try {
      await kiq.start();
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error), EXIT.FAILURE, { cause: error });
    }
    io.out(`started: ${Object.keys(queues).length} ${Object.keys(queues).length === 1 ? 'queue' : 'queues'}; SIGTERM/Ctrl-C stops, SIGTSTP quiets, SIGTTIN dumps\n`);
    if (kiq.healthPort !== undefined) io.out(`health: http://${kiq[kConfig].health.host}:${kiq.healthPort}/healthz, /readyz, /metrics\n`);
    return serve(kiq, io, timeoutMs);
  },
};

/** Wait for a signal (or a stop through Redis), stop, and return the exit code. */
function serve(kiq: Kiq, io: CliIo, timeoutMs: number | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGTSTP', onTstp);
      process.off('SIGTTIN', onTtin);
      resolve(code);
    };
    const awaitStop = (promise: Promise<void>) => {
      promise.then(
        () => {
          io.out('stopped\n');
          finish(EXIT.OK);
        },
        (error: unknown) => {
          io.err(`kiq work: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
          finish(EXIT.FAILURE);
        },
      );
    };
    const onSignal = (signal: string) => {
      if (stopping) {
        io.err(`kiq work: ${signal} again: exiting now\n`);
        finish(EXIT.FAILURE);
        return;
      }
      stopping = true;
      io.out(`${signal}: stopping (running jobs get ${timeoutMs === undefined ? 'the shutdown timeout' : `${timeoutMs / 1000} s`}; ${signal} again exits now)\n`);
      awaitStop(kiq.stop(timeoutMs === undefined ? {} : { timeout: timeoutMs }));
    };
    const onTerm = () => onSignal('SIGTERM');
    const onInt = () => onSignal('SIGINT');
    const onTstp = () => {
      // handled, so the process is not suspended
      kiq.configure({ quiet: true });
      io.out('SIGTSTP: quiet (no new jobs; running ones finish)\n');
    };
    // handled, so the process is not stopped (TTIN's default action): the
    // dump Sidekiq users expect, on the same code path as TTIN through Redis
    const onTtin = () => void kiq.dump();
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGTSTP', onTstp);
    process.on('SIGTTIN', onTtin);
    // a TERM through Redis (Web UI "Stop", kiq stop) stops the instance itself
    kiq.on('stopping', () => {
      if (stopping) return;
      stopping = true;
      io.out('stop requested through Redis: stopping\n');
      awaitStop(kiq.stop());
    });
    kiq.on('error', (error) => {
      if (!(error instanceof EscalationError)) {
        io.err(`kiq work: ${error.message}\n`);
        return;
      }
      if (stopping) return;
      stopping = true;
      io.err(`kiq work: ${error.message}\n`);
      kiq.stop().then(
        () => finish(EXIT.FAILURE),
        () => finish(EXIT.FAILURE),
      );
    });
  });
}
