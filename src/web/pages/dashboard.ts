/**
 * @internal
 * `/`: Sidekiq's dashboard numbers (updated live by app.js from
 * `/stats.json`), the realtime and history charts, and Redis' own figures.
 */
import { readHistory } from '../../admin/history.js';
import { readRedisInfo } from '../../admin/redis-info.js';
import { readStats, type Stats } from '../../admin/stats.js';
import { href, num, duration } from '../components.js';
import type { PageContext, PageResult } from '../context.js';
import { html } from '../html.js';

/** History lengths offered, days. */
const DAYS = [7, 30, 90, 180] as const;

/** The `INFO` fields shown, as Sidekiq's dashboard shows them; one the server does not report is left out. */
const REDIS_INFO_FIELDS = ['redis_version', 'uptime_in_days', 'connected_clients', 'used_memory_human', 'used_memory_peak_human', 'maxmemory_policy'] as const;

/** The numbers as `/stats.json` serves them. */
export async function statsJson(ctx: PageContext): Promise<Stats & { at: number }> {
  return { ...(await readStats(ctx.redis, ctx.nowMs)), at: ctx.nowMs };
}

/** The dashboard page. */
export async function dashboardPage(ctx: PageContext): Promise<PageResult> {
  const wanted = Number(ctx.query.get('days'));
  const days = (DAYS as readonly number[]).includes(wanted) ? wanted : 30;
  const [stats, newestFirst, { fields }] = await Promise.all([readStats(ctx.redis, ctx.nowMs), readHistory(ctx.redis, days, { nowMs: ctx.nowMs }), readRedisInfo(ctx.redis)]);
  const info = REDIS_INFO_FIELDS.filter((name) => fields[name] !== undefined).map((name) => [name, fields[name]!] as const);
  const cards: [keyof Stats, string, string][] = [
    ['processed', 'Processed', '/'],
    ['failed', 'Failed', '/'],
    ['busy', 'Busy', '/busy'],
    ['enqueued', 'Enqueued', '/queues'],
    ['retries', 'Retries', '/retries'],
    ['scheduled', 'Scheduled', '/scheduled'],
    ['dead', 'Dead', '/dead'],
    ['processes', 'Processes', '/busy'],
  ];
  const body = html`
<section class="cards" id="stats" data-src="${href(ctx, '/stats.json')}">
${cards.map(([key, label, path]) => html`<a class="card" href="${href(ctx, path)}"><span class="value" data-stat="${key}">${num(stats[key])}</span><span class="label">${label}</span></a>`)}
<div class="card"><span class="value" data-stat="defaultLatency" data-format="duration">${duration(stats.defaultLatency)}</span><span class="label">Latency (default)</span></div>
</section>
<section>
<h2>Realtime <small>(jobs per poll interval, live)</small></h2>
<div class="chart" id="realtime-chart" aria-label="processed and failed per poll interval"></div>
</section>
<section>
<h2>History <small>${DAYS.map((d) => (d === days ? html`<b>${d} days</b> ` : html`<a href="${href(ctx, '/', { days: d })}">${d} days</a> `))}</small></h2>
<div class="chart" id="history-chart" data-history="${JSON.stringify(newestFirst.slice().reverse())}" aria-label="processed and failed per day"></div>
<details><summary>table</summary><table><thead><tr><th>date (UTC)</th><th class="num">processed</th><th class="num">failed</th></tr></thead><tbody>
${newestFirst.map((d) => html`<tr><td>${d.date}</td><td class="num">${num(d.processed)}</td><td class="num">${num(d.failed)}</td></tr>`)}
</tbody></table></details>
</section>
<section>
<h2>Redis</h2>
<table class="kv"><tbody>${info.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
</section>`;
  return { title: 'Dashboard', body, charts: true };
}
