/**
 * @internal
 * `kiq processes`, `kiq busy`, `kiq quiet` and `kiq stop`: the Web UI's
 * Busy page and its Quiet / Stop buttons.
 */
import type { Admin } from '../../admin/admin.js';
import { withAdmin } from '../admin.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { formatDuration, isoTime, rawValue, relative } from '../../admin/text.js';
import { compactJson, jsonOut, table } from '../format.js';
import { resolveRedisUrl } from '../redis.js';

const LIST_OPTIONS = { ...HELP_OPTION, ...REDIS_URL_OPTION, ...JSON_OPTION } as const;

/** `kiq processes`. */
export const processesCommand: Command = {
  summary: 'live processes (Sidekiq and Kiq): queues, concurrency, busy, quiet, last beat, leader',
  usage: `Usage: kiq processes [--json] [--redis-url <url>]

Every process with a live heartbeat, as the Web UI's Busy page lists it:
identity, host, pid, tag, queues, concurrency, jobs running, quiet, age of the
last heartbeat, and whether it is the leader (dear-leader). Below the table,
one line per failure a Kiq process needs an operator for (an ACL denial, a
key of the wrong type), as its last heartbeat posted it.

Options:
  --json             a JSON array (times in epoch seconds, beatAge in seconds)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('processes', { args: [...argv], options: LIST_OPTIONS });
    const processes = await withAdmin(resolveRedisUrl(values['redis-url'], io.env), 'processes', (admin) => admin.processes());
    if (values.json) io.out(jsonOut(processes));
    else if (processes.length === 0) io.out('no processes\n');
    else {
      io.out(
        table(
          [
            { header: 'IDENTITY' },
            { header: 'HOST' },
            { header: 'PID', right: true },
            { header: 'TAG' },
            { header: 'QUEUES', max: 40 },
            { header: 'CONCURRENCY', right: true },
            { header: 'BUSY', right: true },
            { header: 'QUIET' },
            { header: 'BEAT' },
            { header: 'LEADER' },
          ],
          processes.map((p) => [
            p.identity,
            p.hostname ?? '-',
            p.pid === undefined ? '-' : String(p.pid),
            p.tag || '-',
            p.queues.join(',') || '-',
            p.concurrency === undefined ? '-' : String(p.concurrency),
            String(p.busy),
            p.quiet ? 'yes' : 'no',
            p.beatAge === undefined ? '-' : `${formatDuration(p.beatAge)} ago`,
            p.leader ? 'yes' : '-',
          ]),
        ),
      );
      for (const p of processes) for (const error of p.errors) io.out(`! ${p.identity} ${error}\n`);
    }
    return EXIT.OK;
  },
};

/** `kiq busy`. */
export const busyCommand: Command = {
  summary: 'jobs running now in live processes',
  usage: `Usage: kiq busy [--json] [--redis-url <url>]

Jobs running now in every live process (<identity>:work, or the Sidekiq 6.4
<identity>:workers), oldest first: process, queue, class, jid, args, start.

Options:
  --json             a JSON array (runAt in epoch seconds, payload decoded)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('busy', { args: [...argv], options: LIST_OPTIONS });
    const jobs = await withAdmin(resolveRedisUrl(values['redis-url'], io.env), 'busy', (admin) => admin.busy());
    if (values.json) io.out(jsonOut(jobs));
    else if (jobs.length === 0) io.out('no jobs running\n');
    else {
      io.out(
        table(
          [{ header: 'PROCESS' }, { header: 'QUEUE' }, { header: 'CLASS' }, { header: 'JID' }, { header: 'ARGS', max: 50 }, { header: 'STARTED' }],
          jobs.map((j) => [
            j.identity,
            j.queue ?? '-',
            j.class ?? '-',
            j.jid ?? '-',
            (j.raw === undefined ? undefined : rawValue(j.raw, 'args')) ?? compactJson(j.args),
            j.runAt === undefined ? '-' : `${isoTime(j.runAt)} (${relative(j.runAt)})`,
          ]),
        ),
      );
    }
    return EXIT.OK;
  },
};

/** The Admin calls behind a signal command: one for named processes, one for --all. */
interface SignalCalls {
  readonly some: (admin: Admin, refs: readonly string[]) => Promise<string[]>;
  readonly all: (admin: Admin) => Promise<string[]>;
}

function signalCommand(name: 'quiet' | 'stop', signal: 'TSTP' | 'TERM', calls: SignalCalls, summary: string, what: string): Command {
  return {
    summary,
    usage: `Usage: kiq ${name} <identity>... [--redis-url <url>]
       kiq ${name} --all [--redis-url <url>]

${what}
Sends ${signal} as the Web UI's "${name === 'quiet' ? 'Quiet' : 'Stop'}" button does: LPUSH <identity>-signals ${signal}
and EXPIRE 60. A process takes one signal per heartbeat (Kiq and Sidekiq 6.4:
every 5 s; Sidekiq 7: 10 s). An identity may be shortened to a unique prefix
(e.g. host:4242). --all: every live process in "processes".

Exit codes: 0 sent, 3 no such live process (nothing is sent).
`,
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(name, {
        args: [...argv],
        options: { ...HELP_OPTION, ...REDIS_URL_OPTION, all: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.all && positionals.length > 0) throw new UsageError('give identities or --all, not both', name);
      if (!values.all && positionals.length === 0) throw new UsageError(`missing process: kiq ${name} <identity> or kiq ${name} --all`, name);
      const sent = await withAdmin(resolveRedisUrl(values['redis-url'], io.env), name, (admin) =>
        values.all ? calls.all(admin) : calls.some(admin, positionals),
      );
      if (sent.length === 0) io.err('no live processes\n');
      for (const identity of sent) io.out(`${signal} sent to ${identity}\n`);
      return EXIT.OK;
    },
  };
}

/** `kiq quiet`. */
export const quietCommand = signalCommand(
  'quiet',
  'TSTP',
  { some: (admin, refs) => admin.quiet(refs), all: (admin) => admin.quietAll() },
  'quiet <identity>|--all: stop fetching new jobs (running ones finish)',
  'Quiets a process: it fetches no new jobs, finishes the running ones and keeps\nbeating with quiet "true".',
);

/** `kiq stop`. */
export const stopCommand = signalCommand(
  'stop',
  'TERM',
  { some: (admin, refs) => admin.stop(refs), all: (admin) => admin.stopAll() },
  'stop <identity>|--all: graceful shutdown of a process',
  'Stops a process gracefully: running jobs get its shutdown timeout, then go\nback to their queues.',
);
