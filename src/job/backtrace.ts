/**
 * @internal
 * `error_backtrace`: base64( zlib deflate( JSON array of backtrace lines ) )
 * (docs/sidekiq-contract.md §2, §14). Written as Sidekiq 7.3+ writes it: strict
 * base64, no newlines; read in either form (6.4–7.2 put a newline every 60
 * characters).
 */
import { deflateSync, inflateSync } from 'node:zlib';

/**
 * How many lines the payload's `backtrace` option keeps, as Sidekiq reads it
 * (job_retry.rb: `if msg["backtrace"]` … `backtrace[0...n.to_i]`): `true`
 * → all (`undefined` limit); a number → its integer part, where 0 keeps none
 * and a negative n drops the last |n| lines, as Ruby's `0...n` does; a
 * numeric string counts as its number. `false`, `null`, absent or anything
 * else → `null`: no `error_backtrace` at all.
 *
 * @example
 * backtraceLimit(true);  // { limit: undefined }
 * backtraceLimit(3);     // { limit: 3 }
 * backtraceLimit(false); // null
 */
export function backtraceLimit(option: unknown): { limit: number | undefined } | null {
  if (option === true) return { limit: undefined };
  if (typeof option === 'number' && Number.isFinite(option)) return { limit: Math.trunc(option) };
  if (typeof option === 'string') {
    const n = Number.parseInt(option, 10); // Ruby String#to_i: leading digits, else 0
    return { limit: Number.isNaN(n) ? 0 : n };
  }
  return null;
}

/**
 * The stack frames of an error, one line each, without the `Name: message`
 * header (which may span lines) and without indentation:
 * `at perform (file:///app/worker.js:3:11)`. An error without a V8 stack
 * (or a `NonErrorThrown`) has no lines. Never throws.
 *
 * @example
 * backtraceLines(new Error('x'))[0]; // 'at Context.<anonymous> (file:///…/test.ts:3:20)'
 */
export function backtraceLines(error: Error): string[] {
  let stack: unknown;
  try {
    stack = error.stack;
  } catch {
    return [];
  }
  if (typeof stack !== 'string') return [];
  // V8 writes `String(error)` first; skip it whole when it is still there, so
  // a message line that looks like a frame is not taken for one.
  const header = headerOf(error);
  const frames = header !== undefined && stack.startsWith(header) ? stack.slice(header.length) : stack;
  const lines: string[] = [];
  for (const line of frames.split('\n')) {
    if (/^\s+at\s/.test(line)) lines.push(line.trim());
  }
  return lines;
}

function headerOf(error: Error): string | undefined {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return undefined;
  }
}

/**
 * Encodes lines for `error_backtrace`, keeping the first `limit` (all when
 * `undefined`; `slice(0, limit)` semantics, as Ruby's `[0...limit]`).
 *
 * @example
 * encodeBacktrace(['a', 'b', 'c'], 2); // base64 of deflate('["a","b"]'), no newlines
 */
export function encodeBacktrace(lines: readonly string[], limit?: number): string {
  const kept = limit === undefined ? lines : lines.slice(0, limit);
  return deflateSync(Buffer.from(JSON.stringify(kept), 'utf8')).toString('base64');
}

/**
 * Decodes an `error_backtrace` written by Sidekiq 6.4 (base64 with
 * newlines), 7.3+ or Kiq. Throws when the text is not deflated JSON.
 *
 * @example
 * decodeBacktrace(encodeBacktrace(['a', 'b'])); // ['a', 'b']
 */
export function decodeBacktrace(text: string): unknown {
  return JSON.parse(inflateSync(Buffer.from(text, 'base64')).toString('utf8'));
}
