/**
 * @internal
 * Reading a request: its path below the mount prefix, and a form body
 * (`application/x-www-form-urlencoded`, at most {@link MAX_BODY_BYTES}),
 * also when a framework has parsed it already (Express `req.body`).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './context.js';

/** Largest form body accepted (a bulk action names at most 1,000 keys; a queue job delete carries one payload). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The path below the prefix and the prefix links must use, or `undefined`
 * when the URL is not the dashboard's (another route of the app).
 */
export function splitPath(req: IncomingMessage, prefix: string): { prefix: string; path: string; query: URLSearchParams } | undefined {
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  const path = url.pathname;
  if (prefix !== '') {
    if (path === prefix || path.startsWith(`${prefix}/`)) return { prefix, path: path.slice(prefix.length) || '/', query: url.searchParams };
    // A framework that strips its mount path (Express) leaves the rest in req.url.
    const base = (req as { baseUrl?: unknown }).baseUrl;
    if (base === prefix) return { prefix, path, query: url.searchParams };
    return undefined;
  }
  const base = (req as { baseUrl?: unknown }).baseUrl;
  return { prefix: typeof base === 'string' ? base.replace(/\/$/, '') : '', path, query: url.searchParams };
}

/** Path segments, percent-decoded; a 400 for a malformed escape. */
export function segments(path: string): string[] {
  try {
    return path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, 'malformed URL');
  }
}

function fromParsed(body: unknown): URLSearchParams | undefined {
  if (typeof body === 'string') return new URLSearchParams(body);
  if (Buffer.isBuffer(body)) return new URLSearchParams(body.toString('utf8'));
  if (typeof body !== 'object' || body === null) return undefined;
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string') out.append(k, item);
  }
  return out;
}

/** The form fields of a POST. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = fromParsed((req as { body?: unknown }).body);
  if (parsed) return parsed;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== '') throw new HttpError(415, 'expected a form (application/x-www-form-urlencoded)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
