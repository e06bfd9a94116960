/**
 * @internal
 * `kiq retries`, `kiq scheduled` and `kiq dead`: list, show, retry, kill and
 * delete entries of the retry, schedule and dead sets, as Sidekiq's Web UI
 * does, through the admin API (`admin.retries`, `admin.scheduled`, `admin.dead`).
 */
import type { Admin } from '../../admin/admin.js';
import type { JobSet } from '../../admin/job-set.js';
import { errorBacktrace } from '../../admin/job-record.js';
import { GONE, type SetEntry, type SetName } from '../../admin/sets.js';
import { withAdmin } from '../admin.js';
import { HELP_OPTION, JSON_OPTION, REDIS_URL_OPTION, closestName, integerOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, NotFoundError, UsageError, type CliIo, type Command } from '../command.js';
import { classLabel, isoTime, prettyJson, rawValue, relative, truncate } from '../../admin/text.js';
import { table } from '../format.js';
import { resolveRedisUrl } from '../redis.js';

/** How one set is presented. */
interface SetView {
  readonly command: string;
  readonly set: SetName;
  /** "retry" / "scheduled job" / "dead job", for messages. */
  readonly noun: string;
  /** The plural, for an empty listing ("no retries"). */
  readonly plural: string;
  /** Header of the score column. */
  readonly when: string;
  /** The retry action decrements retry_count (Sidekiq's `retry`), or not (`add_to_queue`). */
  readonly decrement: boolean;
  readonly showError: boolean;
  readonly order: string;
  /** Entries can be killed (moved to dead): not for the dead set itself. */
  readonly killable: boolean;
  /** The set on an Admin. */
  readonly of: (admin: Admin) => JobSet;
}

const ACTIONS = ['list', 'show', 'retry', 'kill', 'delete'] as const;

/** The actions `view` offers (kill only where entries are not dead already). */
function actionsOf(view: SetView): readonly string[] {
  return view.killable ? ACTIONS : ACTIONS.filter((a) => a !== 'kill');
}

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
       kiq ${c} retry <jid>|--all${view.killable ? `
       kiq ${c} kill <jid>|--all` : ''}
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
           and pushed in one atomic step, by its exact bytes.${
    view.killable
      ? `
  kill     move to the dead set now, unchanged (Sidekiq's "Kill"); the dead
           set is trimmed as every dead add trims it`
      : ''
  }
  delete   remove the entries with this jid (--all: the whole set)

A <jid> may also be the Web UI's "<score>-<jid>" key (see list --json).

Options:
  --limit N          list at most N entries (0: all)
  --all              ${view.killable ? 'retry / kill / delete' : 'retry / delete'} every entry
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

function errorText(entry: SetEntry): string {
  const job = entry.job;
  if (!job || (job.error_class === undefined && job.error_message === undefined)) return '-';
  return `${String(job.error_class ?? 'Error')}: ${String(job.error_message ?? '')}`;
}

async function list(set: JobSet, view: SetView, limit: number, json: boolean, io: CliIo): Promise<number> {
  const { entries, total } = await set.list({ limit });
  if (json) {
    io.out(entriesJson(entries));
    return EXIT.OK;
  }
  if (entries.length === 0) {
    io.out(`no ${view.plural}\n`);
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
    classLabel(e.job),
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
    const backtrace = errorBacktrace(e.job);
    if (backtrace) lines.push('# error_backtrace', ...backtrace.map((line) => `  ${line}`));
    return lines.join('\n');
  });
  io.out(`${blocks.join('\n\n')}\n`);
  return EXIT.OK;
}

async function retry(set: JobSet, view: SetView, ref: string | undefined, io: CliIo): Promise<number> {
  const verb = view.decrement ? 'retried' : 'enqueued';
  if (ref === undefined) {
    const { moved, skipped } = await (view.decrement ? set.retryAll() : set.addAllToQueue());
    io.out(`${verb} ${moved.length} ${moved.length === 1 ? 'job' : 'jobs'} from ${view.set}\n`);
    const left = skipped.filter((s) => s.reason !== GONE);
    if (left.length > 0) io.err(`left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} that ${left.length === 1 ? 'is' : 'are'} not a job in ${view.set}\n`);
    return EXIT.OK;
  }
  const entries = await set.find(ref);
  if (entries.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
  const { moved, skipped } = await (view.decrement ? set.retry(entries) : set.addToQueue(entries));
  for (const e of moved) io.out(`${verb} ${e.jid} -> queue ${typeof e.job?.queue === 'string' && e.job.queue ? e.job.queue : 'default'}\n`);
  if (moved.length > 0) return EXIT.OK;
  if (skipped.every((s) => s.reason === GONE)) throw new NotFoundError(`no ${view.noun} with jid ${ref} (moved or deleted meanwhile)`);
  throw new CliError(`cannot ${view.decrement ? 'retry' : 'enqueue'} ${ref}: ${skipped[0]!.reason}`);
}

async function kill(set: JobSet, view: SetView, ref: string | undefined, io: CliIo): Promise<number> {
  if (ref === undefined) {
    const { moved } = await set.killAll();
    io.out(`killed ${moved.length} ${moved.length === 1 ? 'job' : 'jobs'} from ${view.set}\n`);
    return EXIT.OK;
  }
  const entries = await set.find(ref);
  if (entries.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
  const { moved } = await set.kill(entries);
  if (moved.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref} (moved or deleted meanwhile)`);
  for (const e of moved) io.out(`killed ${e.jid} -> dead\n`);
  return EXIT.OK;
}

async function remove(set: JobSet, view: SetView, ref: string | undefined, io: CliIo): Promise<number> {
  if (ref === undefined) {
    const n = await set.clear();
    io.out(`deleted ${n} ${n === 1 ? 'entry' : 'entries'} from ${view.set}\n`);
    return EXIT.OK;
  }
  const n = await set.delete(await set.find(ref));
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
      const actions = actionsOf(view);
      if (!actions.includes(action)) {
        const closest = closestName(action, actions);
        throw new UsageError(`unknown action '${action}'${closest ? ` (did you mean '${closest}'?)` : ''}; actions: ${actions.join(', ')}`, name);
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, name);
      const limit = integerOption(name, 'limit', values.limit) ?? 25;
      if (values.limit !== undefined && action !== 'list') throw new UsageError(`--limit is for 'list', not '${action}'`, name);
      const bulk = action === 'retry' || action === 'kill' || action === 'delete';
      if (values.all && !bulk) throw new UsageError(`--all is for 'retry'${view.killable ? ", 'kill'" : ''} and 'delete', not '${action}'`, name);
      if (values.json && bulk) throw new UsageError(`--json is for 'list' and 'show', not '${action}'`, name);
      if (action === 'list' && ref !== undefined) throw new UsageError(`unexpected argument '${ref}'`, name);
      if ((action === 'show' || bulk) && !values.all && ref === undefined) {
        throw new UsageError(`missing jid: kiq ${name} ${action} <jid>${action === 'show' ? '' : ` or --all`}`, name);
      }
      if (values.all && ref !== undefined) throw new UsageError('give a jid or --all, not both', name);
      return withAdmin(resolveRedisUrl(values['redis-url'], io.env), name, async (admin) => {
        const set = view.of(admin);
        switch (action) {
          case 'list':
            return list(set, view, limit, values.json === true, io);
          case 'show': {
            const entries = await set.find(ref!);
            if (entries.length === 0) throw new NotFoundError(`no ${view.noun} with jid ${ref}`);
            return show(entries, view, values.json === true, io);
          }
          case 'retry':
            return retry(set, view, ref, io);
          case 'kill':
            return kill(set, view, ref, io);
          default:
            return remove(set, view, ref, io);
        }
      });
    },
  };
}

/** `kiq retries`. */
export const retriesCommand = setCommand(
  { command: 'retries', set: 'retry', noun: 'retry', plural: 'retries', when: 'NEXT', decrement: true, showError: true, order: 'soonest first', killable: true, of: (admin) => admin.retries },
  'retry set: list, show <jid>, retry|kill|delete <jid>|--all',
);

/** `kiq scheduled`. */
export const scheduledCommand = setCommand(
  { command: 'scheduled', set: 'schedule', noun: 'scheduled job', plural: 'scheduled jobs', when: 'AT', decrement: false, showError: false, order: 'soonest first', killable: true, of: (admin) => admin.scheduled },
  'scheduled jobs: list, show <jid>, retry <jid>|--all (enqueue now), kill|delete <jid>|--all',
);

/** `kiq dead`. */
export const deadCommand = setCommand(
  { command: 'dead', set: 'dead', noun: 'dead job', plural: 'dead jobs', when: 'DIED', decrement: true, showError: true, order: 'most recent first', killable: false, of: (admin) => admin.dead },
  'dead set: list, show <jid>, retry <jid>|--all, delete <jid>|--all',
);
