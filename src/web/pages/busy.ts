/**
 * @internal
 * `/busy`: live processes (Ruby Sidekiq and Kiq alike) with their badges and
 * Quiet / Stop buttons, and the jobs running now, each list paged.
 */
import type { JobHash } from '../../admin/job-record.js';
import { listBusy, listProcesses } from '../../admin/processes.js';
import { classLabel } from '../../admin/text.js';
import { argsCell, badge, href, num, pageNumber, pager, postForm, timeCell } from '../components.js';
import type { PageContext, PageResult } from '../context.js';
import { html } from '../html.js';

function kb(rss: number | undefined): string {
  if (rss === undefined) return '-';
  return rss >= 1024 * 1024 ? `${(rss / 1024 / 1024).toFixed(1)} GB` : rss >= 1024 ? `${(rss / 1024).toFixed(1)} MB` : `${rss} KB`;
}

/** The Busy page. */
export async function busyPage(ctx: PageContext): Promise<PageResult> {
  const [processes, jobs] = await Promise.all([listProcesses(ctx.redis, ctx.nowMs), listBusy(ctx.redis)]);
  const pPage = pageNumber(ctx);
  const jPage = pageNumber(ctx, 'jobs_page');
  const shownProcesses = processes.slice((pPage - 1) * ctx.pageSize, pPage * ctx.pageSize);
  const shownJobs = jobs.slice((jPage - 1) * ctx.pageSize, jPage * ctx.pageSize);
  const threads = processes.reduce((sum, p) => sum + (p.concurrency ?? 0), 0);
  const busy = processes.reduce((sum, p) => sum + p.busy, 0);
  const body = html`
<section>
<h2>Processes <small>${num(processes.length)} processes, ${num(threads)} threads, ${num(busy)} busy</small></h2>
<div class="actions">${postForm(ctx, '/busy/quiet', 'Quiet all', { fields: { all: '1' }, confirm: 'Quiet every process?' })}${postForm(ctx, '/busy/stop', 'Stop all', { fields: { all: '1' }, kind: 'danger', confirm: 'Stop every process?' })}</div>
<table class="processes"><thead><tr><th>process</th><th>started</th><th>queues</th><th class="num">RSS</th><th class="num">concurrency</th><th class="num">busy</th><th>beat</th><th></th></tr></thead><tbody>
${shownProcesses.map(
  (p) => html`<tr data-identity="${p.identity}"><td><b>${p.hostname ?? p.identity}:${p.pid ?? ''}</b> ${p.tag ? badge(p.tag) : ''} ${p.leader ? badge('leader', 'ok') : ''} ${ctx.kiq?.identity === p.identity ? badge('this process', 'ok') : ''} ${p.quiet ? badge('quiet', 'warn') : ''} ${p.labels.map((l) => badge(l))}<br><small class="identity">${p.identity}${p.version ? ` · ${p.version}` : ''}</small></td>
<td>${timeCell(p.startedAt, ctx.nowMs)}</td><td>${p.queues.join(', ')}</td><td class="num">${kb(p.rss)}</td><td class="num">${p.concurrency ?? '-'}</td><td class="num">${num(p.busy)}</td><td>${timeCell(p.beat, ctx.nowMs)}</td>
<td class="nowrap">${p.quiet ? '' : postForm(ctx, '/busy/quiet', 'Quiet', { fields: { identity: p.identity } })}${postForm(ctx, '/busy/stop', 'Stop', { fields: { identity: p.identity }, kind: 'danger' })}</td></tr>`,
)}
${processes.length === 0 ? html`<tr><td colspan="8" class="empty">no live processes</td></tr>` : ''}
</tbody></table>
${pager(ctx, processes.length, pPage, { jobs_page: String(jPage) })}
</section>
<section>
<h2 id="jobs">Jobs running <small>${num(jobs.length)}</small></h2>
<table><thead><tr><th>process</th><th>thread</th><th>queue</th><th>class</th><th>args</th><th>jid</th><th>started</th></tr></thead><tbody>
${shownJobs.map(
  (j) => html`<tr><td><small>${j.identity}</small></td><td><small>${j.thread}</small></td><td><a href="${href(ctx, `/queues/${encodeURIComponent(j.queue ?? '')}`)}">${j.queue ?? '-'}</a></td><td>${classLabel(typeof j.payload === 'object' && j.payload !== null ? (j.payload as JobHash) : undefined)}</td><td>${argsCell(j.args)}</td><td><code>${j.jid ?? '-'}</code></td><td>${timeCell(j.runAt, ctx.nowMs)}</td></tr>`,
)}
${jobs.length === 0 ? html`<tr><td colspan="7" class="empty">nothing running</td></tr>` : ''}
</tbody></table>
${pager(ctx, jobs.length, jPage, { page: String(pPage) }, 'jobs_page')}
</section>`;
  return { title: 'Busy', body };
}
