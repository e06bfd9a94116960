/**
 * @internal
 * The dashboard's defences: HTTP basic auth compared in constant time, the
 * cross-site check every POST passes (Fetch Metadata `Sec-Fetch-Site`, the
 * `Origin` against `Host`, and an anti-forgery token a cross-site page
 * cannot read), and the response headers every answer carries (a
 * Content-Security-Policy that allows no inline script, no framing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Credentials for HTTP basic auth. */
export interface BasicAuthCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Only our own files run: no inline script or style, no eval, nothing from
 * another origin; forms post only to us; no framing (clickjacking).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers on every answer. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal strings, compared in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether `req` carries `Authorization: Basic` with exactly `credentials`. */
export function basicAuthOk(req: IncomingMessage, credentials: BasicAuthCredentials): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always: no early exit telling which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), credentials.username);
  const passOk = safeEqual(decoded.slice(colon + 1), credentials.password);
  return userOk && passOk;
}

/** A fresh anti-forgery token (256 random bits), one per dashboard. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Why a state-changing request must be refused as cross-site, or
 * `undefined` when it is same-origin: a browser's `Sec-Fetch-Site` other
 * than `same-origin`, or an `Origin` whose host is not the request's
 * `Host`. Clients that send neither (curl, scripts) are judged by the token
 * alone.
 */
export function crossSiteReason(req: IncomingMessage): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return `Sec-Fetch-Site is ${site}`;
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    if (origin === 'null') return 'Origin is null';
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return 'Origin is not a URL';
    }
    const forwarded = req.headers['x-forwarded-host'];
    const expected = typeof forwarded === 'string' && forwarded !== '' ? forwarded.split(',')[0]!.trim() : req.headers.host;
    if (host !== expected) return `Origin ${origin} is not this host`;
  }
  return undefined;
}

/** Whether `host` (a bind address, or a client's `socket.remoteAddress`) is loopback. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
