/**
 * @internal
 * `error_backtrace` decoded for display: base64 of zlib-deflated JSON lines
 * (Sidekiq's `JobRetry#compress_backtrace`); older Sidekiq and Kiq may store
 * a plain array.
 */
import { inflateSync } from 'node:zlib';

/** The backtrace lines of `job`, `undefined` when absent or unreadable. */
export function decodeBacktrace(job: Readonly<Record<string, unknown>> | undefined): string[] | undefined {
  const value = job?.error_backtrace;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return undefined;
  try {
    const lines = JSON.parse(inflateSync(Buffer.from(value, 'base64')).toString('utf8')) as unknown;
    return Array.isArray(lines) ? lines.map(String) : undefined;
  } catch {
    return undefined;
  }
}
