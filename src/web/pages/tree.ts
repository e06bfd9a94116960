/**
 * @internal
 * `/tree`: the live actor tree of the Kiq process the dashboard is mounted
 * in (supervisor, queues, fetchers, flusher, senator, tickers) with each
 * actor's state; app.js refreshes it from `/tree.json` once a second.
 */
import { href } from '../components.js';
import type { PageContext, PageResult } from '../context.js';
import { html } from '../html.js';
import type { ActorNode } from '../tree.js';

/** `/tree.json`: the actors, or `null` when the process is not running. */
export function treeJson(ctx: PageContext): { identity: string | undefined; state: string | undefined; actors: ActorNode[] | null } {
  return { identity: ctx.kiq?.identity, state: ctx.kiq?.state, actors: ctx.tree?.read() ?? null };
}

/** The actor tree page. */
export function treePage(ctx: PageContext): PageResult {
  const { identity, state, actors } = treeJson(ctx);
  const body = html`<p>Process <code>${identity ?? '-'}</code>: <b data-tree-state>${state ?? '-'}</b></p>
<ul class="tree" id="tree" data-src="${href(ctx, '/tree.json')}">
${(actors ?? []).map((a) => html`<li class="depth-${Math.min(a.depth, 8)}" data-name="${a.name}"><span class="name">${a.name}</span> <span class="state">${a.state}</span></li>`)}
</ul>
${actors === null ? html`<p class="empty">the process is not running</p>` : ''}`;
  return { title: 'Actor tree', body };
}
