/**
 * @internal
 * What every page and action gets: the Redis client, where the dashboard is
 * mounted, the request's query, the anti-forgery token and the options that
 * change what is rendered.
 */
import type { Redis } from 'ioredis';
import type { Kiq } from '../kiq.js';
import type { Html } from './html.js';
import type { ActorTree } from './tree.js';

/** One request, as pages and actions see it. */
export interface PageContext {
  readonly redis: Redis;
  /** Path the dashboard is mounted under, `''` or `/kiq` (no trailing slash). */
  readonly prefix: string;
  /** Path below the prefix, starting with `/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Anti-forgery token every form carries. */
  readonly token: string;
  readonly readOnly: boolean;
  /** Jobs per page. */
  readonly pageSize: number;
  readonly nowMs: number;
  /** The Kiq process the dashboard is mounted in, if any. */
  readonly kiq: Kiq | undefined;
  /** Its actor tree, when `kiq` is given. */
  readonly tree: ActorTree | undefined;
}

/** An HTTP failure a page or action reports: rendered as an error page with `status`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A page's answer: markup for the layout (`charts`: it draws, load uPlot), or a redirect (after an action). */
export type PageResult = { readonly title: string; readonly body: Html; readonly charts?: boolean } | { readonly redirect: string };
