/**
 * @internal
 * `kiq dump <identity>`: ask a live process to log what it is doing, as
 * Sidekiq's `Process#dump_threads` does: `LPUSH <identity>-signals TTIN` and
 * `EXPIRE 60`, taken at its next heartbeat. A Kiq process logs its running
 * jobs and its actor tree (one JSON line, `event: "dump"`); a Ruby Sidekiq
 * process logs its threads' backtraces.
 */
import { liveIdentities, signalProcesses } from '../../admin/processes.js';
import { HELP_OPTION, REDIS_URL_OPTION, parseCommandArgs } from '../args.js';
import { EXIT, NotFoundError, UsageError, type Command } from '../command.js';
import { resolveRedisUrl, withRedis } from '../redis.js';

/** The live identity `ref` names: itself, or the one live identity it is a prefix of. */
function pick(live: readonly string[], ref: string): string {
  if (live.includes(ref)) return ref;
  const matches = live.filter((identity) => identity.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`'${ref}' names ${matches.length} processes (${matches.join(', ')}); give the full identity`, 'dump');
  throw new NotFoundError(`no live process '${ref}'${live.length > 0 ? ` (live: ${live.join(', ')})` : ' (no process is live)'}`);
}

/** `kiq dump`. */
export const dumpCommand: Command = {
  summary: 'dump <identity>|--all: a process logs its running jobs and actor tree (TTIN)',
  usage: `Usage: kiq dump <identity>... [--redis-url <url>]
       kiq dump --all [--redis-url <url>]

Asks a process to log what it is doing: LPUSH <identity>-signals TTIN and
EXPIRE 60, as Sidekiq's Process#dump_threads. It takes the signal at its next
heartbeat (Kiq and Sidekiq 6.4: every 5 s; Sidekiq 7: 10 s) and logs, in its
own log: a Kiq process its running jobs and actor tree (one JSON line, event
"dump"), a Sidekiq process its threads' backtraces. 'kill -TTIN <pid>' does
the same on the process's host. An identity may be shortened to a unique
prefix (e.g. host:4242). --all: every live process in "processes".

Exit codes: 0 sent, 3 no such live process (nothing is sent).
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('dump', {
      args: [...argv],
      options: { ...HELP_OPTION, ...REDIS_URL_OPTION, all: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (values.all && positionals.length > 0) throw new UsageError('give identities or --all, not both', 'dump');
    if (!values.all && positionals.length === 0) throw new UsageError('missing process: kiq dump <identity> or kiq dump --all', 'dump');
    const sent = await withRedis(resolveRedisUrl(values['redis-url'], io.env), 'dump', async (redis) => {
      const live = await liveIdentities(redis);
      const identities = values.all ? live : positionals.map((ref) => pick(live, ref));
      await signalProcesses(redis, identities, 'TTIN');
      return identities;
    });
    if (sent.length === 0) io.err('no live processes\n');
    for (const identity of sent) io.out(`TTIN sent to ${identity}\n`);
    return EXIT.OK;
  },
};
