/**
 * @internal
 * `kiq health [identity...]`: the health of Kiq (and Sidekiq) processes as
 * their heartbeats in Redis show it (src/health/heartbeat-health.ts), from
 * any host; exit 0 when every one is ok, 1 when one is failing. For a
 * container's own probe, `kiq work --health-port` serves `/healthz`.
 */
import { listProcesses } from '../../admin/processes.js';
import { heartbeatHealth, parsePublishedHealth, STALE_BEAT_SEC, type HeartbeatHealth } from '../../health/heartbeat-health.js';
import { processKey } from '../../redis/keys.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { formatDuration } from '../../admin/text.js';
import { jsonOut } from '../format.js';
import { resolveRedisUrl, withRedis } from '../redis.js';

function line(h: HeartbeatHealth): string {
  const beat = h.beatAge === undefined ? 'no heartbeat' : `beat ${formatDuration(h.beatAge)} ago`;
  const busy = `busy ${h.busy}/${h.concurrency ?? '?'}`;
  const flags = [h.quiet ? 'quiet' : '', h.leader ? 'leader' : ''].filter(Boolean).join(', ');
  const head = `${h.status.padEnd(9)}${h.identity}  ${h.beatAge === undefined ? beat : `${beat}, ${busy}`}${flags ? `, ${flags}` : ''}`;
  return [head, ...(h.status === 'ok' ? [] : h.reasons.map((reason) => `          ${reason}`))].join('\n');
}

/** `kiq health`. */
export const healthCommand: Command = {
  summary: 'health [identity...]: ok/degraded/failing per process from its heartbeat; exit 1 if one is failing',
  usage: `Usage: kiq health [<identity>...] [--json] [--redis-url <url>]

The health of processes as their heartbeats in Redis show it, from any host:
what a Kiq process judged itself at its last beat (kiq_health: ok, degraded
or failing, as its GET /healthz judges: each queue's last fetch, the actor
tree, the push buffer), made failing when the heartbeat is missing or over
${STALE_BEAT_SEC} s old (gone or stuck) or posts failures that need an operator
(kiq_errors: an ACL denial, a queue key of the wrong type). A Sidekiq
process is judged by its beat alone. Without an identity: every process in
"processes" with a live heartbeat. An identity may be shortened to a unique
prefix of a live one.

Options:
  --json             a JSON array of { identity, status, reasons, beatAge, ... }
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379

Exit codes: 0 every process ok or degraded, 1 one failing (or none live),
2 bad arguments.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('health', {
      args: [...argv],
      options: { ...HELP_OPTION, ...REDIS_URL_OPTION, ...JSON_OPTION },
      allowPositionals: true,
    });
    if (positionals.some((ref) => ref === '')) throw new UsageError('empty identity', 'health');
    const { processes, published } = await withRedis(resolveRedisUrl(values['redis-url'], io.env), 'health', async (redis) => {
      const list = await listProcesses(redis);
      const names = [...new Set([...list.map((p) => p.identity), ...positionals])];
      const pipeline = redis.pipeline();
      for (const identity of names) pipeline.hget(processKey(identity), 'kiq_health');
      const replies = names.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      return { processes: list, published: new Map(names.map((identity, i) => [identity, parsePublishedHealth(replies[i]?.[1] as string | null)])) };
    });
    const byIdentity = new Map(processes.map((p) => [p.identity, p]));
    const judge = (identity: string) => heartbeatHealth(identity, byIdentity.get(identity), published.get(identity));
    const judged = positionals.length === 0
      ? processes.map((p) => judge(p.identity))
      : positionals.map((ref) => {
          const matches = byIdentity.has(ref) ? [ref] : processes.map((p) => p.identity).filter((identity) => identity.startsWith(ref));
          if (matches.length > 1) throw new UsageError(`'${ref}' names ${matches.length} processes (${matches.join(', ')}); give the full identity`, 'health');
          const identity = matches[0] ?? ref;
          return judge(identity);
        });
    if (values.json) io.out(jsonOut(judged));
    else if (judged.length === 0) io.out('no live processes\n');
    else io.out(`${judged.map(line).join('\n')}\n`);
    // degraded is working, as /healthz's 200
    return judged.length > 0 && judged.every((h) => h.status !== 'failing') ? EXIT.OK : EXIT.FAILURE;
  },
};
