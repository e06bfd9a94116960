/**
 * @internal
 * `kiq health [identity...]`: the health of Kiq (and Sidekiq) processes as
 * their heartbeats in Redis show it (src/health/heartbeat-health.ts), from
 * any host; exit 0 when every one is ok, 1 when one is failing. For a
 * container's own probe, `kiq work --health-port` serves `/healthz`.
 */
import { listProcesses } from '../../admin/processes.js';
import { heartbeatHealth, STALE_BEAT_SEC, type HeartbeatHealth } from '../../health/heartbeat-health.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { formatDuration, jsonOut } from '../format.js';
import { resolveRedisUrl, withRedis } from '../redis.js';

function line(h: HeartbeatHealth): string {
  const beat = h.beatAge === undefined ? 'no heartbeat' : `beat ${formatDuration(h.beatAge)} ago`;
  const busy = `busy ${h.busy}/${h.concurrency ?? '?'}`;
  const flags = [h.quiet ? 'quiet' : '', h.leader ? 'leader' : ''].filter(Boolean).join(', ');
  const head = `${h.status.padEnd(8)}${h.identity}  ${h.beatAge === undefined ? beat : `${beat}, ${busy}`}${flags ? `, ${flags}` : ''}`;
  return [head, ...(h.status === 'ok' ? [] : h.reasons.map((reason) => `          ${reason}`))].join('\n');
}

/** `kiq health`. */
export const healthCommand: Command = {
  summary: 'health [identity...]: ok/failing per process from its heartbeat; exit 0 all ok, 1 otherwise',
  usage: `Usage: kiq health [<identity>...] [--json] [--redis-url <url>]

The health of processes as their heartbeats in Redis show it, from any host:
failing when the heartbeat is missing or over ${STALE_BEAT_SEC} s old (gone or stuck), or
when a Kiq process posts failures that need an operator (kiq_errors: an ACL
denial, a queue key of the wrong type: a queue that cannot fetch); else ok.
Without an identity: every process in "processes" with a live heartbeat. An
identity may be shortened to a unique prefix of a live one.

The process's own GET /healthz (kiq work --health-port) judges more: the
time since each queue's last fetch, Redis from its side, the actor tree.

Options:
  --json             a JSON array of { identity, status, reasons, beatAge, ... }
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379

Exit codes: 0 every process ok, 1 one failing (or none live), 2 bad arguments.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('health', {
      args: [...argv],
      options: { ...HELP_OPTION, ...REDIS_URL_OPTION, ...JSON_OPTION },
      allowPositionals: true,
    });
    if (positionals.some((ref) => ref === '')) throw new UsageError('empty identity', 'health');
    const processes = await withRedis(resolveRedisUrl(values['redis-url'], io.env), 'health', (redis) => listProcesses(redis));
    const byIdentity = new Map(processes.map((p) => [p.identity, p]));
    const judged = positionals.length === 0
      ? processes.map((p) => heartbeatHealth(p.identity, p))
      : positionals.map((ref) => {
          const matches = byIdentity.has(ref) ? [ref] : processes.map((p) => p.identity).filter((identity) => identity.startsWith(ref));
          if (matches.length > 1) throw new UsageError(`'${ref}' names ${matches.length} processes (${matches.join(', ')}); give the full identity`, 'health');
          const identity = matches[0] ?? ref;
          return heartbeatHealth(identity, byIdentity.get(identity));
        });
    if (values.json) io.out(jsonOut(judged));
    else if (judged.length === 0) io.out('no live processes\n');
    else io.out(`${judged.map(line).join('\n')}\n`);
    return judged.length > 0 && judged.every((h) => h.status === 'ok') ? EXIT.OK : EXIT.FAILURE;
  },
};
