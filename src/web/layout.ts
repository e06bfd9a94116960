/**
 * @internal
 * The page shell: navigation, the stylesheet and the one script file (no
 * inline script or style, so the Content-Security-Policy can forbid both).
 */
import { asset, assetVersion } from './assets.js';
import type { PageContext } from './context.js';
import { href } from './components.js';
import { html, type Html } from './html.js';

/** Navigation entries: path, label. */
const NAV: readonly (readonly [string, string])[] = [
  ['/', 'Dashboard'],
  ['/busy', 'Busy'],
  ['/queues', 'Queues'],
  ['/retries', 'Retries'],
  ['/scheduled', 'Scheduled'],
  ['/dead', 'Dead'],
  ['/metrics', 'Metrics'],
  ['/periodic', 'Periodic'],
];

function current(ctx: PageContext, path: string): boolean {
  if (path === '/') return ctx.path === '/';
  return ctx.path === path || ctx.path.startsWith(`${path}/`) || (path === '/dead' && ctx.path.startsWith('/morgue'));
}

/** An asset's URL with its version, cached for a year (a new version is a new URL). */
function assetHref(ctx: PageContext, name: string): string {
  return href(ctx, `/assets/${name}`, { v: assetVersion(asset(name)!) });
}

/** A whole HTML document around `body`; `charts` loads uPlot (only the pages that draw). */
export function layout(ctx: PageContext, title: string, body: Html, charts = false): Html {
  const nav = [...NAV, ...(ctx.kiq ? [['/tree', 'Actor tree'] as const] : [])].map(
    ([path, label]) => html`<a href="${href(ctx, path)}"${current(ctx, path) ? html` aria-current="page"` : ''}>${label}</a>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Kiq</title>
<link rel="icon" href="data:,">
${charts ? html`<link rel="stylesheet" href="${assetHref(ctx, 'uPlot.min.css')}">` : ''}
<link rel="stylesheet" href="${assetHref(ctx, 'app.css')}">
${charts ? html`<script src="${assetHref(ctx, 'uPlot.iife.min.js')}" defer></script>` : ''}
<script src="${assetHref(ctx, 'app.js')}" defer></script>
</head>
<body data-prefix="${ctx.prefix}">
<header><a class="brand" href="${href(ctx, '/')}">Kiq</a><nav class="main">${nav}</nav>${ctx.readOnly ? html`<span class="badge warn">read-only</span>` : ''}</header>
<main>
<h1>${title}</h1>
${body}
</main>
<footer>Kiq for Node · <time datetime="${new Date(ctx.nowMs).toISOString()}">${new Date(ctx.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')}</time></footer>
</body>
</html>
`;
}
