/**
 * @internal
 * `/metrics`: per class, processed, failed, total and mean run time over a
 * chosen period, from the Sidekiq 7.x/8.x metrics keys (src/admin/metrics.ts).
 */
import { readMetrics } from '../../admin/metrics.js';
import { href, num } from '../components.js';
import type { PageContext, PageResult } from '../context.js';
import { html } from '../html.js';

/** Periods offered: minutes, label. */
const PERIODS: readonly (readonly [number, string])[] = [
  [60, '1 hour'],
  [480, '8 hours'],
  [1440, '24 hours'],
  [4320, '3 days'],
];

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}

/** The Metrics page. */
export async function metricsPage(ctx: PageContext): Promise<PageResult> {
  const wanted = Number(ctx.query.get('period'));
  const period = PERIODS.find(([m]) => m === wanted)?.[0] ?? 60;
  const rows = await readMetrics(ctx.redis, period, ctx.nowMs);
  const body = html`<p class="periods">${PERIODS.map(([m, label]) => (m === period ? html`<b>${label}</b> ` : html`<a href="${href(ctx, '/metrics', { period: m })}">${label}</a> `))}</p>
<table class="metrics"><thead><tr><th>class</th><th class="num">processed</th><th class="num">failed</th><th class="num">total time</th><th class="num">mean time</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.class}</td><td class="num">${num(r.processed)}</td><td class="num">${num(r.failed)}</td><td class="num">${ms(r.totalMs)}</td><td class="num">${ms(r.meanMs)}</td></tr>`)}
${rows.length === 0 ? html`<tr><td colspan="5" class="empty">no metrics in this period</td></tr>` : ''}
</tbody></table>
<p class="hint">Read from the per-minute and per-10-minute metrics hashes Kiq and Sidekiq 7 and 8 servers write (<code>j|…</code>); times are of successful executions. Periods over 8 hours use Sidekiq 8's 10-minute buckets.</p>`;
  return { title: 'Metrics', body };
}
