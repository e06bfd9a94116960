/**
 * @internal
 * `/periodic`: the cron entries of the Kiq process the dashboard is mounted
 * in, with their next and last occurrence, which process claimed the last
 * one (the `periodic:<digest>:<atSec>` claim, kept 5 minutes), and the
 * leader (`dear-leader`). Kiq processes do not publish their entries to
 * Redis, so a standalone `kiq web` shows only the leader.
 */
import { LEADER, periodicKey } from '../../redis/keys.js';
import { checkReplies } from '../../redis/call.js';
import { kConfig } from '../../symbols.js';
import { parseCron } from '../../cron.js';
import { nextRunAfter, schedulePeriodic } from '../../periodic/schedule.js';
import { argsCell, timeCell } from '../components.js';
import type { PageContext, PageResult } from '../context.js';
import { html } from '../html.js';

/** The Periodic page. */
export async function periodicPage(ctx: PageContext): Promise<PageResult> {
  const entries = ctx.kiq ? ctx.kiq[kConfig].periodics.map((p) => schedulePeriodic(p)) : [];
  const rows = entries.map((entry) => {
    const cron = parseCron(entry.expression);
    cron.reset(new Date(ctx.nowMs));
    const lastMs = cron.hasPrev() ? cron.prev().getTime() : undefined;
    return { entry, nextMs: nextRunAfter(entry, ctx.nowMs), lastMs };
  });
  const pipeline = ctx.redis.pipeline().get(LEADER);
  for (const row of rows) pipeline.get(row.lastMs === undefined ? periodicKey(row.entry.digest, 0) : periodicKey(row.entry.digest, row.lastMs / 1000));
  const [leader, ...claims] = checkReplies(await pipeline.exec(), rows.length + 1, 'periodic') as (string | null)[];
  const body = html`<p>Leader: ${leader ? html`<code>${leader}</code>` : html`<i>none</i> (no process holds <code>dear-leader</code>)`}</p>
${
  ctx.kiq
    ? html`<table class="periodic"><thead><tr><th>schedule (UTC)</th><th>class</th><th>queue</th><th>args</th><th>next run</th><th>last run</th><th>enqueued by</th></tr></thead><tbody>
${rows.map(
  ({ entry, nextMs, lastMs }, i) =>
    html`<tr><td><code>${entry.expression}</code></td><td>${entry.className}</td><td>${entry.options.queue ?? '-'}</td><td>${argsCell(entry.options.args ?? [])}</td><td>${timeCell(nextMs / 1000, ctx.nowMs)}</td><td>${timeCell(lastMs === undefined ? undefined : lastMs / 1000, ctx.nowMs)}</td><td>${claims[i] ? html`<code>${claims[i]}</code>` : '-'}</td></tr>`,
)}
${rows.length === 0 ? html`<tr><td colspan="7" class="empty">this process has no periodic entries</td></tr>` : ''}
</tbody></table>`
    : html`<p class="hint">Kiq processes keep their periodic entries in their own configuration, not in Redis: mount the dashboard in a Kiq process (<code>createDashboard({ kiq })</code>) to list them.</p>`
}`;
  return { title: 'Periodic', body };
}
