/**
 * @internal
 * `kiq stats`, `kiq queues` and `kiq queue clear|pause|unpause <name>`: the
 * dashboard numbers and the queues, as Sidekiq's Web UI computes them.
 */
import { readSpoolStatus } from '../../client/spool/status.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, closestName, parseCommandArgs } from '../args.js';
import { EXIT, NotFoundError, UsageError, type Command } from '../command.js';
import { formatDuration } from '../../admin/text.js';
import { jsonOut, table } from '../format.js';
import { withAdmin } from '../admin.js';
import { resolveRedisUrl } from '../redis.js';

const OPTIONS = { ...HELP_OPTION, ...REDIS_URL_OPTION, ...JSON_OPTION } as const;
const STATS_OPTIONS = { ...OPTIONS, 'spool-dir': { type: 'string' } } as const;

/** `kiq stats`. */
export const statsCommand: Command = {
  summary: 'dashboard numbers: processed, failed, busy, enqueued, scheduled, retries, dead, processes, latency',
  usage: `Usage: kiq stats [--json] [--redis-url <url>] [--spool-dir <dir>]

The numbers of Sidekiq's dashboard, computed as it computes them:
  processed, failed   lifetime counters (stat:processed, stat:failed)
  busy                jobs running now (sum of "busy" over the processes)
  enqueued            jobs waiting (sum of the queue lengths)
  scheduled, retries, dead   sizes of the schedule, retry and dead sets
  processes           registered processes
  default latency     age of the oldest job in queue "default"

Options:
  --json             one JSON object (latency in seconds)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379
  --spool-dir <dir>  also the reliable-push spool of a process on this host
                     (its spool.dir): bytes not yet in Redis, segments, owner pid
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('stats', { args: [...argv], options: STATS_OPTIONS });
    const stats = await withAdmin(resolveRedisUrl(values['redis-url'], io.env), 'stats', (admin) => admin.stats());
    const spoolDir = values['spool-dir'];
    const spool = spoolDir === undefined ? undefined : await readSpoolStatus(spoolDir).catch((error: unknown) => {
      throw new NotFoundError(`spool directory ${spoolDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    });
    if (values.json) {
      io.out(jsonOut(spool ? { ...stats, spool } : stats));
      return EXIT.OK;
    }
    const rows: [string, string][] = [
      ['processed', String(stats.processed)],
      ['failed', String(stats.failed)],
      ['busy', String(stats.busy)],
      ['enqueued', String(stats.enqueued)],
      ['scheduled', String(stats.scheduled)],
      ['retries', String(stats.retries)],
      ['dead', String(stats.dead)],
      ['processes', String(stats.processes)],
      ['default latency', formatDuration(stats.defaultLatency)],
    ];
    if (spool) {
      const owner = spool.holder === undefined ? 'no owner' : `pid ${spool.holder}`;
      rows.push(['spool', `${spool.unpushedBytes} bytes not in Redis, ${spool.segments} segment(s), ${spool.bytes} bytes on disk (${owner})`]);
    }
    io.out(rows.map(([name, value]) => `${name.padEnd(16)} ${value}`).join('\n') + '\n');
    return EXIT.OK;
  },
};

/** `kiq queues`. */
export const queuesCommand: Command = {
  summary: 'queues with their size and latency',
  usage: `Usage: kiq queues [--json] [--redis-url <url>]

Every queue in "queues", by name: jobs waiting, latency (age of the oldest
job), as the Web UI's Queues page shows them, and whether it is paused
(kiq queue pause: no Kiq process fetches from it).

Options:
  --json             a JSON array of { name, size, latency, paused } (latency in seconds)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('queues', { args: [...argv], options: OPTIONS });
    const queues = await withAdmin(resolveRedisUrl(values['redis-url'], io.env), 'queues', (admin) => admin.queues());
    if (values.json) io.out(jsonOut(queues));
    else if (queues.length === 0) io.out('no queues\n');
    else {
      io.out(
        table(
          [{ header: 'QUEUE' }, { header: 'SIZE', right: true }, { header: 'LATENCY', right: true }, { header: 'PAUSED' }],
          queues.map((q) => [q.name, String(q.size), formatDuration(q.latency), q.paused ? 'yes' : 'no']),
        ),
      );
    }
    return EXIT.OK;
  },
};

const QUEUE_USAGE = `Usage: kiq queue clear|pause|unpause <name> [--redis-url <url>]

  clear    Deletes every job waiting in queue <name> and removes it from
           "queues", as Sidekiq's Queue#clear (UNLINK queue:<name>, SREM
           queues <name>). Jobs already running, scheduled or retrying are
           not touched.
  pause    Adds <name> to the "paused" set (Sidekiq Pro's layout, shown by
           Sidekiq 8.1.2+): Kiq processes fetch nothing more from it, within
           one fetch interval. Jobs keep arriving; running ones finish.
  unpause  Removes <name> from "paused": fetching resumes.

Exit codes: 0 done (pausing a paused queue, or unpausing one that is not,
says so and changes nothing), 3 clear: no such queue.
`;

const QUEUE_ACTIONS = ['clear', 'pause', 'unpause'] as const;

/** `kiq queue clear|pause|unpause <name>`. */
export const queueCommand: Command = {
  summary: 'queue clear|pause|unpause <name>: delete every job waiting in a queue, or stop / resume fetching from it',
  usage: QUEUE_USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('queue', {
      args: [...argv],
      options: { ...HELP_OPTION, ...REDIS_URL_OPTION },
      allowPositionals: true,
    });
    const [action, name, ...extra] = positionals;
    if (action === undefined) throw new UsageError('missing action: kiq queue clear|pause|unpause <name>', 'queue');
    if (!(QUEUE_ACTIONS as readonly string[]).includes(action)) {
      const closest = closestName(action, QUEUE_ACTIONS);
      throw new UsageError(`unknown action '${action}'${closest ? ` (did you mean '${closest}'?)` : ''}`, 'queue');
    }
    if (name === undefined || name === '') throw new UsageError(`missing queue name: kiq queue ${action} <name>`, 'queue');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, 'queue');
    const url = resolveRedisUrl(values['redis-url'], io.env);
    if (action === 'pause' || action === 'unpause') {
      const changed = await withAdmin(url, 'queue', (admin) => (action === 'pause' ? admin.pauseQueue(name) : admin.unpauseQueue(name)));
      io.out(changed ? `${action}d queue ${name}\n` : `queue ${name} was ${action === 'pause' ? 'already paused' : 'not paused'}\n`);
      return EXIT.OK;
    }
    const result = await withAdmin(url, 'queue', (admin) => admin.clearQueue(name));
    if (!result.existed) throw new NotFoundError(`no queue named '${name}'`);
    io.out(`cleared queue ${name} (${result.size} ${result.size === 1 ? 'job' : 'jobs'} deleted)\n`);
    return EXIT.OK;
  },
};
