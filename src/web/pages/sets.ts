/**
 * @internal
 * `/retries`, `/scheduled`, `/dead` (and `/morgue`): a sorted set paged,
 * sortable by time, filterable by text, with bulk actions; and
 * `/<set>/<score>-<jid>`: one entry with its payload pretty-printed, its
 * error and decoded backtrace, and the actions Sidekiq's Web UI offers there.
 */
import { filterEntries } from '../../admin/filter.js';
import { errorBacktrace } from '../../admin/job-record.js';
import { keyEntries, listEntries, type ScoreOrder, type SetEntry, type SetName } from '../../admin/sets.js';
import { classLabel, isoTime, prettyJson, truncate } from '../../admin/text.js';
import { readTimestamp } from '../../job/timestamp.js';
import { DEAD, RETRY, SCHEDULE } from '../../redis/keys.js';
import { argsCell, href, notice, num, pageNumber, pager, postForm, seg, timeCell } from '../components.js';
import { HttpError, type PageContext, type PageResult } from '../context.js';
import { html, type Html } from '../html.js';

/** What an entry of a set may be asked to do. */
export type EntryAction = 'retry' | 'add' | 'kill' | 'delete';

/** How one set is shown. */
export interface SetView {
  /** URL path, `/retries`. */
  readonly path: string;
  readonly set: SetName;
  readonly title: string;
  /** Header of the score column. */
  readonly when: string;
  /** The Web UI's default order. */
  readonly order: ScoreOrder;
  readonly showError: boolean;
  /** Actions per entry and in bulk, as Sidekiq's Web UI offers them on this page. */
  readonly actions: readonly EntryAction[];
}

const DEAD_VIEW: SetView = { path: '/dead', set: DEAD, title: 'Dead', when: 'died', order: 'desc', showError: true, actions: ['retry', 'delete'] };

/** The three sets, by URL path segment (`morgue` is Sidekiq's old name for `dead`). */
export const SET_VIEWS: Readonly<Record<string, SetView>> = {
  retries: { path: '/retries', set: RETRY, title: 'Retries', when: 'next retry', order: 'asc', showError: true, actions: ['retry', 'kill', 'delete'] },
  scheduled: { path: '/scheduled', set: SCHEDULE, title: 'Scheduled', when: 'when', order: 'asc', showError: false, actions: ['add', 'delete'] },
  dead: DEAD_VIEW,
  morgue: { ...DEAD_VIEW, path: '/morgue' },
};

/** A filter shows at most this many matches; `from` goes on where it stopped. */
export const FILTER_LIMIT = 500;

const LABELS: Record<EntryAction, string> = { retry: 'Retry now', add: 'Add to queue', kill: 'Kill', delete: 'Delete' };

function errorText(job: Readonly<Record<string, unknown>> | undefined): string {
  if (!job || (job.error_class === undefined && job.error_message === undefined)) return '-';
  return `${String(job.error_class ?? 'Error')}: ${String(job.error_message ?? '')}`;
}

function entryHref(ctx: PageContext, view: SetView, entry: SetEntry): string {
  return href(ctx, `${view.path}/${seg(entry.key)}`);
}

function row(ctx: PageContext, view: SetView, e: SetEntry): Html {
  return html`<tr><td>${ctx.readOnly ? '' : html`<input type="checkbox" name="key" value="${e.key}" form="bulk" aria-label="select ${e.jid ?? e.key}">`}</td>
<td><a href="${entryHref(ctx, view, e)}">${timeCell(e.score, ctx.nowMs)}</a></td><td>${typeof e.job?.queue === 'string' ? e.job.queue : '-'}</td><td>${classLabel(e.job)}</td><td>${e.job ? argsCell(e.job.args) : html`<code>${truncate(e.member, 120)}</code>`}</td>
${view.showError ? html`<td class="num">${typeof e.job?.retry_count === 'number' ? e.job.retry_count : '-'}</td><td class="error">${truncate(errorText(e.job), 200)}</td>` : ''}</tr>`;
}

/** A set's page. */
export async function setListPage(ctx: PageContext, view: SetView): Promise<PageResult> {
  const order: ScoreOrder = ctx.query.get('order') === 'asc' ? 'asc' : ctx.query.get('order') === 'desc' ? 'desc' : view.order;
  const filter = ctx.query.get('filter') ?? '';
  const page = pageNumber(ctx);
  const from = pageNumber(ctx, 'from', 0); // the rank a filter reads from
  let entries: SetEntry[];
  let total: number;
  let info: Html;
  if (filter !== '') {
    const found = await filterEntries(ctx.redis, view.set, { text: filter }, { order, offset: from, limit: FILTER_LIMIT });
    total = found.entries.length;
    entries = found.entries.slice((page - 1) * ctx.pageSize, page * ctx.pageSize);
    const more = found.next === undefined ? '' : html` (stopped after ${num(found.scanned)} entries: <a href="${href(ctx, view.path, { filter, order: order === view.order ? undefined : order, from: found.next })}">search on</a> or refine the filter)`;
    info = html`<p>${num(total)}${more ? '+' : ''} matching <q>${filter}</q>${from > 0 ? ` from entry ${num(from + 1)}` : ''}${more} · <a href="${href(ctx, view.path)}">clear filter</a></p>`;
  } else {
    ({ entries, total } = await listEntries(ctx.redis, view.set, { offset: (page - 1) * ctx.pageSize, limit: ctx.pageSize, order }));
    info = html`<p>${num(total)} entries</p>`;
  }
  const other: ScoreOrder = order === 'asc' ? 'desc' : 'asc';
  const params = { filter: filter || undefined, order: order === view.order ? undefined : order, from: filter && from > 0 ? String(from) : undefined };
  const body = html`${notice(ctx)}
<form class="filter" method="get" action="${href(ctx, view.path)}"><input type="search" name="filter" value="${filter}" placeholder="filter: class, jid, argument, error" aria-label="filter"><input type="hidden" name="order" value="${order}"><button type="submit" class="btn plain">Filter</button></form>
${info}
${
  ctx.readOnly
    ? ''
    : html`<form id="bulk" class="bulk" method="post" action="${href(ctx, `${view.path}/bulk`)}"><input type="hidden" name="_csrf" value="${ctx.token}">
${view.actions.map((a) => html`<button type="submit" name="action" value="${a}" class="btn ${a === 'delete' || a === 'kill' ? 'danger' : 'plain'}">${LABELS[a]} selected</button> `)}</form>
<div class="actions">${view.actions.includes('retry') || view.actions.includes('add') ? postForm(ctx, `${view.path}/all/${view.actions.includes('retry') ? 'retry' : 'add'}`, `${view.actions.includes('retry') ? 'Retry' : 'Enqueue'} all`, { confirm: `${view.actions.includes('retry') ? 'Retry' : 'Enqueue'} all ${total} entries?`, fields: { confirm: '' } }) : ''}${postForm(ctx, `${view.path}/all/delete`, 'Delete all', { kind: 'danger', confirm: `Delete all ${total} entries of ${view.set}?`, fields: { confirm: '' } })}</div>`
}
<table class="set"><thead><tr><th>${ctx.readOnly ? '' : html`<input type="checkbox" class="select-all" aria-label="select all">`}</th><th><a href="${href(ctx, view.path, { filter: filter || undefined, order: other })}" title="sort">${view.when} ${order === 'asc' ? '▲' : '▼'}</a></th><th>queue</th><th>class</th><th>args</th>${view.showError ? html`<th class="num">retries</th><th>error</th>` : ''}</tr></thead><tbody>
${entries.map((e) => row(ctx, view, e))}
${entries.length === 0 ? html`<tr><td colspan="7" class="empty">no entries</td></tr>` : ''}
</tbody></table>
${pager(ctx, total, page, params)}`;
  return { title: view.title, body };
}

/** One entry's page. */
export async function setEntryPage(ctx: PageContext, view: SetView, key: string): Promise<PageResult> {
  const [entry] = await keyEntries(ctx.redis, view.set, key);
  if (!entry) throw new HttpError(404, `no entry ${key} in ${view.set} (it was retried, moved or deleted)`);
  const job = entry.job;
  const backtrace = errorBacktrace(job);
  const field = (label: string, value: Html | string | number | undefined) => html`<tr><th>${label}</th><td>${value ?? '-'}</td></tr>`;
  const at = (name: string) => {
    const sec = readTimestamp(job?.[name]);
    return sec === undefined ? undefined : isoTime(sec);
  };
  const body = html`${notice(ctx)}<p><a href="${href(ctx, view.path)}">« ${view.title}</a></p>
<div class="actions">${view.actions.map((a) => postForm(ctx, `${view.path}/${seg(entry.key)}/${a}`, LABELS[a], { kind: a === 'delete' || a === 'kill' ? 'danger' : 'primary' }))}</div>
<table class="kv"><tbody>
${field(view.when, html`${isoTime(entry.score)} (${timeCell(entry.score, ctx.nowMs)})`)}
${field('queue', typeof job?.queue === 'string' ? job.queue : undefined)}
${field('class', classLabel(job))}
${field('jid', entry.jid)}
${field('args', job ? argsCell(job.args) : undefined)}
${field('created', at('created_at'))}
${field('enqueued', at('enqueued_at'))}
${view.showError ? [field('retry count', typeof job?.retry_count === 'number' ? job.retry_count : undefined), field('failed', at('failed_at')), field('retried', at('retried_at'))] : ''}
</tbody></table>
${view.showError && job?.error_class !== undefined ? html`<h2>Error</h2><pre class="error">${errorText(job)}</pre>` : ''}
${backtrace ? html`<h2>Backtrace</h2><pre class="backtrace">${backtrace.join('\n')}</pre>` : ''}
<h2>Payload</h2><pre class="payload">${job ? prettyJson(entry.member) : entry.member}</pre>`;
  return { title: `${classLabel(job)} ${entry.jid ?? ''}`, body };
}
