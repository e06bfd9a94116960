/**
 * @internal
 * The dashboard's static files, served from the package itself (no CDN: it
 * works offline): our `app.js` / `app.css` from `assets/` beside this file
 * (copied to dist by the build), uPlot's files from its npm package. Each is
 * read once and served with a strong ETag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file ready to serve. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const require = createRequire(import.meta.url);

/** Where each served name comes from. */
const SOURCES: Readonly<Record<string, () => string>> = {
  'app.js': () => fileURLToPath(new URL('./assets/app.js', import.meta.url)),
  'app.css': () => fileURLToPath(new URL('./assets/app.css', import.meta.url)),
  'uPlot.iife.min.js': () => require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.min.css': () => require.resolve('uplot/dist/uPlot.min.css'),
};

const cache = new Map<string, Asset>();

/** The first characters of an asset's ETag: the `?v=` of its URL, so a changed file gets a new URL. */
export function assetVersion(found: Asset): string {
  return found.etag.slice(1, 11);
}

/** The asset called `name`, `undefined` for any other name. */
export function asset(name: string): Asset | undefined {
  if (!Object.hasOwn(SOURCES, name)) return undefined;
  let found = cache.get(name);
  if (!found) {
    const body = readFileSync(SOURCES[name]!());
    found = {
      body,
      type: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    };
    cache.set(name, found);
  }
  return found;
}
