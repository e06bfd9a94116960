/**
 * @internal
 * Every state-changing request: POST only (the handler has already checked
 * it is same-origin and carries the token), answered with a redirect back
 * to the page (post/redirect/get) and a fixed notice code. Destructive
 * whole-set actions need `confirm=yes`: app.js sets it after a dialog;
 * without JavaScript the server asks on a page of its own.
 */
import { killEntries } from '../admin/kill.js';
import { pauseQueue, unpauseQueue } from '../admin/pause.js';
import { liveIdentities, signalProcesses } from '../admin/processes.js';
import { deleteQueueJob } from '../admin/queue-jobs.js';
import { clearSet, deleteEntries, enqueueAll, enqueueEntries, keyEntries, type SetEntry } from '../admin/sets.js';
import { clearQueue } from '../admin/stats.js';
import { kConfig } from '../symbols.js';
import { href, seg } from './components.js';
import { HttpError, type PageContext, type PageResult } from './context.js';
import { html } from './html.js';
import type { EntryAction, SetView } from './pages/sets.js';

/** Most entries one bulk request may name. */
export const BULK_LIMIT = 1000;

function done(ctx: PageContext, path: string, code: string, n?: number): PageResult {
  return { redirect: href(ctx, path, { done: code, n }) };
}

/** A page asking to confirm `what`, re-posting `form` with `confirm=yes`. */
function confirmPage(ctx: PageContext, what: string, form: URLSearchParams, back: string): PageResult {
  const fields = [...form.entries()].filter(([k]) => k !== 'confirm' && k !== '_csrf');
  const body = html`<p class="warn">${what}</p>
<form method="post" action="${ctx.prefix}${ctx.path}"><input type="hidden" name="_csrf" value="${ctx.token}"><input type="hidden" name="confirm" value="yes">${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button type="submit" class="btn danger">Yes, do it</button> <a href="${href(ctx, back)}">Cancel</a></form>`;
  return { title: 'Please confirm', body };
}

/** Quiet (`TSTP`) or stop (`TERM`) one live process or (`all=1`) every live one. */
export async function signalAction(ctx: PageContext, form: URLSearchParams, signal: 'TSTP' | 'TERM'): Promise<PageResult> {
  const live = await liveIdentities(ctx.redis);
  const identity = form.get('identity');
  const targets = form.get('all') === '1' ? live : live.filter((id) => id === identity);
  await signalProcesses(ctx.redis, targets, signal);
  return done(ctx, '/busy', targets.length === 0 ? 'gone' : signal === 'TSTP' ? 'quieted' : 'stopped', targets.length);
}

/** Pause, unpause, clear a queue or delete one of its jobs. */
export async function queueAction(ctx: PageContext, name: string, action: string, form: URLSearchParams): Promise<PageResult> {
  const back = `/queues/${seg(name)}`;
  switch (action) {
    case 'pause':
    case 'unpause':
      await (action === 'pause' ? pauseQueue : unpauseQueue)(ctx.redis, name);
      return done(ctx, '/queues', action === 'pause' ? 'paused' : 'unpaused');
    case 'clear': {
      if (form.get('confirm') !== 'yes') return confirmPage(ctx, `Delete every job waiting in queue “${name}”?`, form, '/queues');
      const { size } = await clearQueue(ctx.redis, name);
      return done(ctx, '/queues', 'cleared', size);
    }
    case 'delete': {
      const raw = form.get('job');
      if (raw === null) throw new HttpError(400, 'no job given');
      return done(ctx, back, (await deleteQueueJob(ctx.redis, name, raw)) ? 'deleted' : 'gone', 1);
    }
    default:
      throw new HttpError(404, `no queue action ${action}`);
  }
}

async function perform(ctx: PageContext, view: SetView, action: EntryAction, entries: readonly SetEntry[]): Promise<number> {
  switch (action) {
    case 'retry':
    case 'add':
      return (await enqueueEntries(ctx.redis, entries, { decrement: action === 'retry', nowMs: ctx.nowMs })).moved.length;
    case 'kill': {
      // Mounted in a Kiq: trimmed as its own dead-lettering trims; else Sidekiq's defaults.
      const config = ctx.kiq?.[kConfig];
      return (await killEntries(ctx.redis, entries, { nowMs: ctx.nowMs, deadLimit: config?.deadLimit, deadTimeoutMs: config?.deadTimeout })).moved.length;
    }
    case 'delete':
      return deleteEntries(ctx.redis, entries);
  }
}

const CODES: Record<EntryAction, string> = { retry: 'retried', add: 'enqueued', kill: 'killed', delete: 'deleted' };

function entryAction(view: SetView, name: string): EntryAction {
  const action = name as EntryAction;
  if (!view.actions.includes(action)) throw new HttpError(404, `${view.title} has no action ${name}`);
  return action;
}

/** One entry's action (`/<set>/<key>/<action>`). */
export async function entryActionRoute(ctx: PageContext, view: SetView, key: string, name: string): Promise<PageResult> {
  const action = entryAction(view, name);
  const n = await perform(ctx, view, action, await keyEntries(ctx.redis, view.set, key));
  return done(ctx, view.path, n === 0 ? 'gone' : CODES[action], n);
}

/** The selected entries (`key` fields) with `action`. */
export async function bulkAction(ctx: PageContext, view: SetView, form: URLSearchParams): Promise<PageResult> {
  const action = entryAction(view, form.get('action') ?? '');
  const keys = [...new Set(form.getAll('key'))];
  if (keys.length > BULK_LIMIT) throw new HttpError(413, `at most ${BULK_LIMIT} entries at once`);
  const entries: SetEntry[] = [];
  for (const key of keys) entries.push(...(await keyEntries(ctx.redis, view.set, key)));
  const n = await perform(ctx, view, action, entries);
  return done(ctx, view.path, n === 0 ? 'gone' : CODES[action], n);
}

/** Every entry of the set: retry / add to queue / delete (`/<set>/all/<action>`), after confirmation. */
export async function allAction(ctx: PageContext, view: SetView, name: string, form: URLSearchParams): Promise<PageResult> {
  const action = entryAction(view, name);
  if (action === 'kill') throw new HttpError(404, 'no kill-all');
  if (form.get('confirm') !== 'yes') return confirmPage(ctx, `${action === 'delete' ? 'Delete' : 'Enqueue'} every entry of ${view.title}?`, form, view.path);
  if (action === 'delete') return done(ctx, view.path, 'deleted', await clearSet(ctx.redis, view.set));
  const { moved } = await enqueueAll(ctx.redis, view.set, { decrement: action === 'retry', nowMs: ctx.nowMs });
  return done(ctx, view.path, CODES[action], moved.length);
}
