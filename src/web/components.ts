/**
 * @internal
 * Small pieces of markup every page uses: links under the mount prefix,
 * POST forms with the anti-forgery token, times, a pager and job cells.
 */
import { formatDuration, isoTime, relative, truncate } from '../admin/text.js';
import type { PageContext } from './context.js';
import { html, type Html, type HtmlValue } from './html.js';

/** `path` under the mount prefix, with `params` (undefined values left out) as the query. */
export function href(ctx: PageContext, path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const q = query.toString();
  return `${ctx.prefix}${path}${q ? `?${q}` : ''}`;
}

/** A path segment (queue name, entry key) encoded for a URL. */
export function seg(text: string): string {
  return encodeURIComponent(text);
}

/** Options of {@link postForm}. */
export interface PostFormOptions {
  /** Hidden fields. */
  readonly fields?: Record<string, string>;
  /** Button class: `danger` for destructive actions. */
  readonly kind?: 'danger' | 'primary' | 'plain';
  /** Text of the confirmation dialog; without JavaScript the server asks on a page of its own. */
  readonly confirm?: string;
  /** `form` attribute id, so checkboxes elsewhere on the page belong to it. */
  readonly id?: string;
}

/**
 * A POST form with one button, carrying the anti-forgery token; nothing in
 * read-only mode.
 */
export function postForm(ctx: PageContext, path: string, label: string, options: PostFormOptions = {}): Html {
  if (ctx.readOnly) return html``;
  const fields = Object.entries(options.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form class="inline" method="post" action="${ctx.prefix}${path}"${options.id ? html` id="${options.id}"` : ''}${options.confirm ? html` data-confirm="${options.confirm}"` : ''}><input type="hidden" name="_csrf" value="${ctx.token}">${fields}<button type="submit" class="btn ${options.kind ?? 'plain'}">${label}</button></form>`;
}

/** A time as relative text with the exact UTC time on hover; `-` when unknown. */
export function timeCell(sec: number | undefined, nowMs: number): Html {
  if (sec === undefined || !Number.isFinite(sec)) return html`-`;
  return html`<time datetime="${isoTime(sec)}" title="${isoTime(sec)}">${relative(sec, nowMs)}</time>`;
}

/** Seconds as `1.2s`, `3m 4s` … */
export function duration(sec: number): string {
  return formatDuration(sec);
}

/** A number with thousands separators. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** A badge. */
export function badge(text: string, kind: 'info' | 'warn' | 'ok' | 'danger' = 'info'): Html {
  return html`<span class="badge ${kind}">${text}</span>`;
}

/** Job arguments, compact and truncated, the full text on hover. */
export function argsCell(args: unknown): Html {
  let text: string;
  try {
    text = JSON.stringify(args) ?? '-';
  } catch {
    text = String(args);
  }
  return html`<code class="args" title="${truncate(text, 2000)}">${truncate(text, 120)}</code>`;
}

/** The integer in `?page=` (or `?<param>=`), at least `min`; `min` when absent or not a number. */
export function pageNumber(ctx: PageContext, param = 'page', min = 1): number {
  const n = Number.parseInt(ctx.query.get(param) ?? '', 10);
  return Number.isSafeInteger(n) && n >= min ? n : min;
}

/** First / previous / next / last links and "page x of y" (`params` kept in the links); nothing when everything fits on one page. */
export function pager(ctx: PageContext, total: number, page: number, params: Record<string, string | undefined> = {}, param = 'page'): Html {
  const pages = Math.max(1, Math.ceil(total / ctx.pageSize));
  if (pages <= 1) return html``;
  const link = (p: number, label: string, rel: string): HtmlValue =>
    p >= 1 && p <= pages && p !== page ? html`<a rel="${rel}" href="${href(ctx, ctx.path, { ...params, [param]: p })}">${label}</a>` : html`<span class="off">${label}</span>`;
  return html`<nav class="pager">${link(1, '« first', 'first')} ${link(page - 1, '‹ prev', 'prev')} <span>page ${num(page)} of ${num(pages)}</span> ${link(page + 1, 'next ›', 'next')} ${link(pages, 'last »', 'last')}</nav>`;
}

/** Messages after an action, chosen by a fixed code (never text from the request). */
const NOTICES: Record<string, string> = {
  retried: 'Retried',
  enqueued: 'Added to queue',
  deleted: 'Deleted',
  killed: 'Killed',
  cleared: 'Cleared',
  paused: 'Paused',
  unpaused: 'Unpaused',
  quieted: 'Quiet sent',
  stopped: 'Stop sent',
  gone: 'Nothing done: it was no longer there',
};

/** The notice for `?done=<code>&n=<count>`, if any. */
export function notice(ctx: PageContext): Html {
  const text = NOTICES[ctx.query.get('done') ?? ''];
  if (!text) return html``;
  const n = Number.parseInt(ctx.query.get('n') ?? '', 10);
  return html`<p class="notice" role="status">${text}${Number.isFinite(n) ? `: ${num(n)}` : ''}</p>`;
}
