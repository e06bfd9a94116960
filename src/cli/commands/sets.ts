/**
 * @internal
 * `kiq retries`, `kiq scheduled` and `kiq dead`: list, show, retry and
 * delete entries of the retry, schedule and dead sets, as Sidekiq's Web UI
 * does (SIDEKIQ-CONTRACT.md §5.4, §6.3).
 */
import { inflateSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { clearSet, deleteEntries, enqueueAll, enqueueEntries, findEntries, listEntries, type SetEntry, type SetName } from '../../admin/sets.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, closestName, integerOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, NotFoundError, UsageError, type CliIo, type Command } from '../command.js';
import { isoTime, prettyJson, rawValue, relative, table, truncate } from '../format.js';
import { resolveRedisUrl, withRedis } from '../redis.js';

/** How one set is presented. */
interface SetView {
  readonly command: string;
  readonly set: SetName;
  /** "retry" / "scheduled job" / "dead job", for messages. */
  readonly noun: string;
  /** Header of the score column. */
  readonly when: string;
  /** The retry action decrements retry_count (Sidekiq's `retry`), or not (`add_to_queue`). */
  readonly decrement: boolean;
  readonly showError: boolean;
  readonly order: string;
}

const ACTIONS = ['list', 'show', 'retry', 'delete'] as const;

const OPTIONS = {
  ...HELP_OPTION,
  ...REDIS_URL_OPTION,
  ...JSON_OPTION,
  limit: { type: 'string' },
  all: { type: 'boolean' },
} as const;

function usage(view: SetView): string {
  const c = view.command;
  return `Usage: kiq ${c} [list] [--limit N] [--json]
       kiq ${c} show <jid> [--json]
       kiq ${c} retry <jid>|--all
       kiq ${c} delete <jid>|--all

The "${view.set}" sorted set, as the Web UI's ${c[0]!.toUpperCase()}${c.slice(1)} page shows it.

  list     entries ${view.order}; default 25 (--limit N, --limit 0 for all)
  show     the full payload of the entries with this jid, pretty-printed
           (an error_backtrace is decoded below it)
  retry    push to its queue now (enqueued_at = now)${
    view.decrement
      ? `, decrementing retry_count
           first, as Sidekiq's "Retry now" does (the next failure adds it back,
           so a manual retry does not use up an attempt)`
      : `, as Sidekiq's
           "Add to queue" does (retry_count untouched)`
  }. The entry is removed
           and pushed in one atomic step, by its exact bytes.
  delete   remove the entries with this jid (--all: the whole set)

A <jid> may also be the Web UI's "<score>-<jid>" key (see list --json).

Options:
  --limit N          list at most N entries (0: all)
  --all              retry / delete every entry
  --json             list and show: JSON (job = the payload exactly as stored)
  --redis-url <url>  default: $REDIS_URL, else redis://127.0.0.1:6379

Exit codes: 0 ok, 3 no entry with that jid.
`;
}

/** An entry as JSON text; the payload is embedded as stored, so no number loses digits. */
function entryJson(entry: SetEntry, indent = ''): string {
  const head = {
    set: entry.set,
    key: entry.key,
    score: entry.score,
    at: isoTime(entry.score),
    jid: entry.jid ?? null,
    class: typeof entry.job?.class === 'string' ? entry.job.class : null,
    queue: typeof entry.job?.queue === 'string' ? entry.job.queue : null,
  };
  const fields = Object.entries(head).map(([k, v]) => `${indent}  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  if (entry.job) fields.push(`${indent}  "job": ${prettyJson(entry.member).replace(/\n/g, `\n${indent}  `)}`);
  else fields.push(`${indent}  "job": null`, `${indent}  "raw": ${JSON.stringify(entry.member)}`);
  return `${indent}{\n${fields.join(',\n')}\n${indent}}`;
}

function entriesJson(entries: readonly SetEntry[]): string {
  return entries.length === 0 ? '[]\n' : `[\n${entries.map((e) => entryJson(e, '  ')).join(',\n')}\n]\n`;
}

function displayClass(entry: SetEntry): string {
  const job = entry.job;
  if (!job) return '(not a job)';
  for (const key of ['display_class', 'wrapped', 'class']) if (typeof job[key] === 'string') return job[key] as string;
  return '-';
}

function errorText(entry: SetEntry): string {
  const job = entry.job;
  if (!job || (job.error_class === undefined && job.error_message === undefined)) return '-';
  return `${String(job.error_class ?? 'Error')}: ${String(job.error_message ?? '')}`;
}

/** `error_backtrace` decoded: base64 of zlib-deflated JSON lines (SIDEKIQ-CONTRACT.md §2); `undefined` when absent or unreadable. */
function backtraceOf(job: Readonly<Record<string, unknown>> | undefined): string[] | undefined {
  if (typeof job?.error_backtrace !== 'string') return undefined;
  try {
    const lines = JSON.parse(inflateSync(Buffer.from(job.error_backtrace, 'base64')).toString('utf8')) as unknown;
    return Array.isArray(lines) ? lines.map(String) : undefined;
  } catch {
    return undefined;
  }
}

async function list(redis: Redis, view: SetView, limit: number, json: boolean, io: CliIo): Promise<number> {
  const { entries, total } = await listEntries(redis, view.set, { limit });
  if (json) {
    io.out(entriesJson(entries));
    return EXIT.OK;
  }
  if (entries.length === 0) {
    io.out(`no ${view.noun}s\n`);
    return EXIT.OK;
  }
  const columns = [
    { header: view.when },
    { header: 'JID' },
    { header: 'CLASS', max: 40 },
    { header: 'QUEUE' },
    ...(view.showError ? [{ header: 'RETRIES', right: true }, { header: 'ERROR', max: 50 }] : []),
    { header: 'ARGS', max: 50 },
  ];
  const rows = entries.map((e) => [
    `${isoTime(e.score)} (${relative(e.score)})`,
    e.jid ?? '-',
    displayClass(e),
    typeof e.job?.queue === 'string' ? e.job.queue : '-',
    ...(view.showError ? [typeof e.job?.retry_count === 'number' ? String(e.job.retry_count) : '-', errorText(e)] : []),
    e.job ? (rawValue(e.member, 'args') ?? '-') : truncate(e.member, 50),
  ]);
  io.out(table(columns, rows));
  if (total > entries.length) io.out(`(${entries.length} of ${total} shown; --limit N for more, --limit 0 for all)\n`);
  return EXIT.OK;
}

function show(entries: readonly SetEntry[], view: SetView, json: boolean, io: CliIo): number {
  if (json) {
    io.out(entriesJson(entries));
    return EXIT.OK;
  }
  const blocks = entries.map((e) => {
    const lines = [`# ${view.set} ${e.key}  ${view.when.toLowerCase()} ${isoTime(e.score)} (${relative(e.score)})`, prettyJson(e.member)];
    const backtrace = backtraceOf(e.job);
    if (backtrace) lines.push('# error_backtrace', ...backtrace.map((line) => `  ${line}`));
    return lines.join('\n');
  });
  io.out(`${blocks.join('\n\n')}\n`);
  return EXIT.OK;
}

async function retry(redis: Redis, view: SetView, ref: string | undefined, io: CliIo): Promise<number> {
  const verb = view.decrement ? 'retried' : 'enqueued';
  if (ref === undefined) {
    const { moved, skipped } = await enqueueAll(redis, view.set, { decrement: view.decrement });
    io.out(`${verb} ${moved.length} ${moved.length === 1 ? 'job' : 'jobs'} from ${view.set}\n`);
    const left = skipped.filter((s) => s.reason !== 'no longer in the set');
    if (left.length > 0) io.err(`left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} that ${left.length === 1 ? 'is' : 'are'} not a job in ${view.set}\n`);
    return EXIT.OK;
  }
  const entries = await findEntries(redis, view.set, ref);
  if (entries.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
  const { moved, skipped } = await enqueueEntries(redis, entries, { decrement: view.decrement });
  for (const e of moved) io.out(`${verb} ${e.jid} -> queue ${typeof e.job?.queue === 'string' && e.job.queue ? e.job.queue : 'default'}\n`);
  if (moved.length > 0) return EXIT.OK;
  if (skipped.every((s) => s.reason === 'no longer in the set')) throw new NotFoundError(`no ${view.noun} with jid ${ref} (moved or deleted meanwhile)`);
  throw new CliError(`cannot ${view.decrement ? 'retry' : 'enqueue'} ${ref}: ${skipped[0]!.reason}`);
}

async function remove(redis: Redis, view: SetView, ref: string | undefined, io: CliIo): Promise<number> {
  if (ref === undefined) {
    const n = await clearSet(redis, view.set);
    io.out(`deleted ${n} ${n === 1 ? 'entry' : 'entries'} from ${view.set}\n`);
    return EXIT.OK;
  }
  const entries = await findEntries(redis, view.set, ref);
  const n = await deleteEntries(redis, entries);
  if (n === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
  io.out(`deleted ${ref}${n > 1 ? ` (${n} entries)` : ''} from ${view.set}\n`);
  return EXIT.OK;
}

function setCommand(view: SetView, summary: string): Command {
  const name = view.command;
  return {
    summary,
    usage: usage(view),
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(name, { args: [...argv], options: OPTIONS, allowPositionals: true });
      const [first, ref, ...extra] = positionals;
      const action = first ?? 'list';
      if (!(ACTIONS as readonly string[]).includes(action)) {
        const closest = closestName(action, ACTIONS);
        throw new UsageError(`unknown action '${action}'${closest ? ` (did you mean '${closest}'?)` : ''}; actions: ${ACTIONS.join(', ')}`, name);
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, name);
      const limit = integerOption(name, 'limit', values.limit) ?? 25;
      if (values.limit !== undefined && action !== 'list') throw new UsageError(`--limit is for 'list', not '${action}'`, name);
      if (values.all && action !== 'retry' && action !== 'delete') throw new UsageError(`--all is for 'retry' and 'delete', not '${action}'`, name);
      if (values.json && (action === 'retry' || action === 'delete')) throw new UsageError(`--json is for 'list' and 'show', not '${action}'`, name);
      if (action === 'list' && ref !== undefined) throw new UsageError(`unexpected argument '${ref}'`, name);
      if ((action === 'show' || action === 'retry' || action === 'delete') && !values.all && ref === undefined) {
        throw new UsageError(`missing jid: kiq ${name} ${action} <jid>${action === 'show' ? '' : ` or --all`}`, name);
      }
      if (values.all && ref !== undefined) throw new UsageError('give a jid or --all, not both', name);
      return withRedis(resolveRedisUrl(values['redis-url'], io.env), name, async (redis) => {
        switch (action) {
          case 'list':
            return list(redis, view, limit, values.json === true, io);
          case 'show': {
            const entries = await findEntries(redis, view.set, ref!);
            if (entries.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
            return show(entries, view, values.json === true, io);
          }
          case 'retry':
            return retry(redis, view, ref, io);
          default:
            return remove(redis, view, ref, io);
        }
      });
    },
  };
}

/** `kiq retries`. */
export const retriesCommand = setCommand(
  { command: 'retries', set: 'retry', noun: 'retry', when: 'NEXT', decrement: true, showError: true, order: 'soonest first' },
  'retry set: list, show <jid>, retry <jid>|--all, delete <jid>|--all',
);

/** `kiq scheduled`. */
export const scheduledCommand = setCommand(
  { command: 'scheduled', set: 'schedule', noun: 'scheduled job', when: 'AT', decrement: false, showError: false, order: 'soonest first' },
  'scheduled jobs: list, show <jid>, retry <jid>|--all (enqueue now), delete <jid>|--all',
);

/** `kiq dead`. */
export const deadCommand = setCommand(
  { command: 'dead', set: 'dead', noun: 'dead job', when: 'DIED', decrement: true, showError: true, order: 'most recent first' },
  'dead set: list, show <jid>, retry <jid>|--all, delete <jid>|--all',
);
