/**
 * @internal
 * `/queues` (every queue: size, latency, paused; pause / unpause / clear),
 * `/queues/<name>` (its waiting jobs, newest first, paged, each deletable)
 * and `/queues/<name>/job/<index>` (one job in full).
 */
import { pausedQueues } from '../../admin/pause.js';
import { listQueueJobs } from '../../admin/queue-jobs.js';
import { listQueues, queueExists } from '../../admin/stats.js';
import { classLabel, isoTime, prettyJson } from '../../admin/text.js';
import { readTimestamp } from '../../job/timestamp.js';
import { argsCell, badge, duration, href, notice, num, pageNumber, pager, postForm, seg, timeCell } from '../components.js';
import { HttpError, type PageContext, type PageResult } from '../context.js';
import { html } from '../html.js';

/** The Queues page. */
export async function queuesPage(ctx: PageContext): Promise<PageResult> {
  const queues = await listQueues(ctx.redis, ctx.nowMs);
  const body = html`${notice(ctx)}
<table class="queues"><thead><tr><th>queue</th><th class="num">size</th><th class="num">latency</th><th></th></tr></thead><tbody>
${queues.map(
  (q) => html`<tr data-queue="${q.name}"><td><a href="${href(ctx, `/queues/${seg(q.name)}`)}">${q.name}</a> ${q.paused ? badge('paused', 'warn') : ''}</td><td class="num">${num(q.size)}</td><td class="num">${duration(q.latency)}</td>
<td class="nowrap">${q.paused ? postForm(ctx, `/queues/${seg(q.name)}/unpause`, 'Unpause') : postForm(ctx, `/queues/${seg(q.name)}/pause`, 'Pause')}${postForm(ctx, `/queues/${seg(q.name)}/clear`, 'Clear', { kind: 'danger', confirm: `Delete all ${q.size} jobs of queue ${q.name}?`, fields: { confirm: '' } })}</td></tr>`,
)}
${queues.length === 0 ? html`<tr><td colspan="4" class="empty">no queues</td></tr>` : ''}
</tbody></table>
<p class="hint">Paused queues are kept in the <code>paused</code> set, as Sidekiq Pro keeps them; a process that honours it fetches nothing from them.</p>`;
  return { title: 'Queues', body };
}

/** One queue's jobs. */
export async function queuePageView(ctx: PageContext, name: string): Promise<PageResult> {
  const page = pageNumber(ctx);
  const offset = (page - 1) * ctx.pageSize;
  const [{ jobs, total }, exists, paused] = await Promise.all([
    listQueueJobs(ctx.redis, name, { offset, limit: ctx.pageSize }),
    queueExists(ctx.redis, name),
    pausedQueues(ctx.redis).then((names) => names.includes(name)),
  ]);
  if (!exists && total === 0) throw new HttpError(404, `no queue named ${name}`);
  const body = html`${notice(ctx)}
<p>${num(total)} jobs waiting ${paused ? badge('paused', 'warn') : ''} <span class="actions">${paused ? postForm(ctx, `/queues/${seg(name)}/unpause`, 'Unpause') : postForm(ctx, `/queues/${seg(name)}/pause`, 'Pause')}${postForm(ctx, `/queues/${seg(name)}/clear`, 'Clear', { kind: 'danger', confirm: `Delete all ${total} jobs of queue ${name}?`, fields: { confirm: '' } })}</span></p>
<table><thead><tr><th class="num">#</th><th>class</th><th>args</th><th>jid</th><th>enqueued</th><th></th></tr></thead><tbody>
${jobs.map(
  (j, i) => html`<tr><td class="num"><a href="${href(ctx, `/queues/${seg(name)}/job/${offset + i}`, { jid: j.jid })}">${offset + i}</a></td><td>${classLabel(j.job)}</td><td>${j.job ? argsCell(j.job.args) : html`<code>${j.member.slice(0, 120)}</code>`}</td><td><code>${j.jid ?? '-'}</code></td><td>${timeCell(j.enqueuedAt, ctx.nowMs)}</td>
<td>${postForm(ctx, `/queues/${seg(name)}/delete`, 'Delete', { kind: 'danger', fields: { job: j.member } })}</td></tr>`,
)}
${jobs.length === 0 ? html`<tr><td colspan="6" class="empty">no jobs</td></tr>` : ''}
</tbody></table>
${pager(ctx, total, page)}`;
  return { title: `Queue ${name}`, body };
}

/** One waiting job in full. */
export async function queueJobPage(ctx: PageContext, name: string, index: number): Promise<PageResult> {
  const [job] = (await listQueueJobs(ctx.redis, name, { offset: index, limit: 1 })).jobs;
  const jid = ctx.query.get('jid');
  if (!job || (jid && job.jid !== jid)) throw new HttpError(404, `job ${jid ?? index} is no longer at position ${index} of queue ${name} (it ran or moved)`);
  const created = readTimestamp(job.job?.created_at);
  const body = html`<p><a href="${href(ctx, `/queues/${seg(name)}`)}">« queue ${name}</a></p>
<table class="kv"><tbody>
<tr><th>queue</th><td>${name}</td></tr><tr><th>class</th><td>${classLabel(job.job)}</td></tr><tr><th>jid</th><td><code>${job.jid ?? '-'}</code></td></tr>
<tr><th>created</th><td>${created === undefined ? '-' : isoTime(created)}</td></tr><tr><th>enqueued</th><td>${job.enqueuedAt === undefined ? '-' : isoTime(job.enqueuedAt)}</td></tr>
</tbody></table>
<h2>Payload</h2><pre class="payload">${prettyJson(job.member)}</pre>
<div class="actions">${postForm(ctx, `/queues/${seg(name)}/delete`, 'Delete', { kind: 'danger', fields: { job: job.member } })}</div>`;
  return { title: `Job ${job.jid ?? index}`, body };
}
