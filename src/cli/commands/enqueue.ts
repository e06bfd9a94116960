/**
 * @internal
 * `kiq enqueue <class> [args-json]`: push jobs through a client-only Kiq
 * (`server: false`) with `confirm: true`, so the exit code says whether
 * every job reached Redis.
 */
import type { PushReceipt } from '../../kiq.js';
import { InvalidJobError, KiqError } from '../../errors.js';
import type { EnqueueOptions } from '../../job/build.js';
import type { RetryOption } from '../../job/payload.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, integerOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError, type Command } from '../command.js';
import { isoTime } from '../../admin/text.js';
import { jsonOut } from '../format.js';
import { loadWorkerModules } from '../load-workers.js';
import { redactUrl } from '../../redis/redact-url.js';
import { CONNECT_TIMEOUT_MS } from '../../redis/connect.js';
import { resolveRedisUrl, withRedis } from '../redis.js';
import type { Worker } from '../../worker.js';

/** How long the jobs may take to reach Redis before the command gives up, ms. */
const CONFIRM_TIMEOUT_MS = 10_000;

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500`, `1500ms`, `30s`, `5m`, `2h`, `1d` → ms; a bare number is ms. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
}

function parseRetry(text: string): RetryOption | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function parseArgsJson(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`bad args JSON: ${(error as Error).message}`, 'enqueue');
  }
  if (!Array.isArray(value)) throw new UsageError(`args must be a JSON array, e.g. '[1, "two"]', got: ${text}`, 'enqueue');
  return value;
}

/** The worker of class `className` in the `-r` modules; a usage error naming the ones there are when none is. */
async function findWorker(className: string, modules: readonly string[], cwd: string): Promise<Worker> {
  const { workers } = await loadWorkerModules(modules, cwd, 'enqueue');
  const worker = workers.find((w) => w.class === className);
  if (worker) return worker;
  const known = workers.map((w) => w.class).join(', ') || 'none';
  throw new UsageError(`no worker of class '${className}' in ${modules.join(', ')} (workers: ${known}); without -r any class is pushed as given`, 'enqueue');
}

/** `kiq enqueue`. */
export const enqueueCommand: Command = {
  summary: 'enqueue <class> [args-json]: push jobs (now, --in, --at) and print their jids',
  usage: `Usage: kiq enqueue <class> [args-json] [-r <module>...] [-q <queue>] [--in <duration> | --at <time>]
                   [--count N] [--retry N|true|false] [--json] [--redis-url <url>]

Pushes a job for <class> (a Kiq worker's class, or a Ruby one) with the
arguments <args-json>, a JSON array (default []), and prints its jid. Exits 0
once every job is in Redis (scheduled jobs in "schedule").

Without -r the job gets only what the options say (queue "default", retry
true). With -r, <class> must be a worker of those modules (as kiq work loads
them) and the job gets that worker's own options (queue, retry, dead,
backtrace, uniqueFor, expiresIn), which -q and --retry override.

Options:
  -r, --require <module>  take <class>'s options from its worker in this module
                       (repeatable; ESM, CommonJS or TypeScript with tsx)
  -q, --queue <queue>  queue (default "default", or the worker's)
  --in <duration>      run later: ms, or with a unit: 1500ms, 30s, 5m, 2h, 1d
  --at <time>          run at an ISO 8601 time, e.g. 2030-01-01T12:00:00Z
  --count N            push N jobs (each with its own jid; default 1)
  --retry N            retries before the dead set; true = 25, false = none
  --json               a JSON array of { jid, class, queue, status, at }
  --redis-url <url>    default: $REDIS_URL, else redis://127.0.0.1:6379

Examples:
  kiq enqueue Mailer '["a@b.c", 1]' -q mailers
  kiq enqueue Report '[42]' --in 5m --retry 3

Exit codes: 0 every job written, 1 Redis unreachable or a job not written,
2 bad arguments.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('enqueue', {
      args: [...argv],
      options: {
        ...HELP_OPTION,
        ...REDIS_URL_OPTION,
        ...JSON_OPTION,
        queue: { type: 'string', short: 'q' },
        in: { type: 'string' },
        at: { type: 'string' },
        count: { type: 'string' },
        retry: { type: 'string' },
        require: { type: 'string', short: 'r', multiple: true },
      },
      allowPositionals: true,
    });
    const [className, argsText, ...extra] = positionals;
    if (className === undefined || className === '') throw new UsageError('missing class: kiq enqueue <class> [args-json]', 'enqueue');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' (quote the args JSON as one argument)`, 'enqueue');
    const args = argsText === undefined ? [] : parseArgsJson(argsText);
    const count = integerOption('enqueue', 'count', values.count, 1) ?? 1;
    const options: EnqueueOptions = {};
    if (values.queue !== undefined) {
      if (values.queue === '') throw new UsageError('option --queue must not be empty', 'enqueue');
      options.queue = values.queue;
    }
    if (values.in !== undefined && values.at !== undefined) throw new UsageError('give --in or --at, not both', 'enqueue');
    if (values.in !== undefined) {
      const ms = parseDuration(values.in);
      if (ms === undefined) throw new UsageError(`option --in expects a duration such as 1500, 30s, 5m, got '${values.in}'`, 'enqueue');
      options.in = ms;
    }
    if (values.at !== undefined) {
      const ms = Date.parse(values.at);
      if (Number.isNaN(ms)) throw new UsageError(`option --at expects an ISO 8601 time such as 2030-01-01T12:00:00Z, got '${values.at}'`, 'enqueue');
      options.at = ms;
    }
    if (values.retry !== undefined) {
      const retry = parseRetry(values.retry);
      if (retry === undefined) throw new UsageError(`option --retry expects a whole number, true or false, got '${values.retry}'`, 'enqueue');
      options.retry = retry;
    }

    const worker = values.require ? await findWorker(className, values.require, io.cwd) : undefined;

    const url = resolveRedisUrl(values['redis-url'], io.env);
    // a clear one-line error for a bad URL or an unreachable Redis, before Kiq retries in the background
    await withRedis(url, 'enqueue', async () => undefined);
    const quietLog = (message: string) => io.err(`${message}\n`);
    // loaded here: the actor runtime is not needed by the quick commands
    const { Kiq } = await import('../../kiq.js');
    const kiq = new Kiq({
      server: false,
      redisUrl: url,
      redis: { connectTimeout: CONNECT_TIMEOUT_MS },
      logger: { info: () => undefined, warn: quietLog, error: quietLog },
    });
    let receipts: PushReceipt[];
    try {
      await kiq.start();
      // each enqueue validates the job at once (InvalidJobError) before it is buffered
      const confirmations: Promise<PushReceipt>[] = [];
      for (let i = 0; i < count; i++) {
        confirmations.push(worker ? kiq.enqueue(worker, args, { ...options, confirm: true }) : kiq.enqueue({ class: className, args }, { ...options, confirm: true }));
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CliError(`jobs not written to Redis at ${redactUrl(url)} within ${CONFIRM_TIMEOUT_MS / 1000} s`)),
          CONFIRM_TIMEOUT_MS,
        );
      });
      try {
        receipts = await Promise.race([Promise.all(confirmations), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      await kiq.stop({ timeout: 0 }).catch(() => undefined);
      if (error instanceof InvalidJobError) throw new UsageError(error.message, 'enqueue');
      if (error instanceof KiqError) throw new CliError(error.message, EXIT.FAILURE, { cause: error });
      throw error;
    }
    await kiq.stop({ timeout: 1000 }).catch(() => undefined);
    const rows = receipts.map(({ job, status }) => ({
      jid: job.jid,
      class: job.class,
      queue: job.queue,
      status,
      ...(status === 'scheduled' && options.at !== undefined ? { at: isoTime(Number(options.at) / 1000) } : {}),
      ...(status === 'scheduled' && options.in !== undefined ? { at: isoTime((Number(job.created_at) * 1000 + options.in) / 1000) } : {}),
    }));
    if (values.json) io.out(jsonOut(rows));
    else io.out(rows.map((r) => `${r.jid}\n`).join(''));
    return EXIT.OK;
  },
};
