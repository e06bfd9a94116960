/**
 * @internal
 * Epoch timestamps on the wire (docs/sidekiq-contract.md §2, §7; docs/architecture.md §2).
 * Kiq writes float epoch **seconds** with a fractional part always present,
 * as Sidekiq 6.4/7.x do (every version reads them), or, with the
 * `timestamps: 'ms'` option, the payload times as Sidekiq 8's integer epoch
 * **milliseconds** (which 6.4/7.x misread); it always reads both.
 */
import type { TimestampFormat } from '../config/options.js';
import { InvalidJobError } from '../errors.js';

export type { TimestampFormat };

/** The payload keys Sidekiq 8 writes in milliseconds (8.1 `Sidekiq::Job` / `JobRetry`); `expires_at` and scores stay seconds. */
export const MS_KEYS: ReadonlySet<string> = new Set(['created_at', 'enqueued_at', 'failed_at', 'retried_at']);

/**
 * Renders float epoch seconds as a payload time in `format`: {@link
 * formatSeconds} for `seconds`, whole epoch milliseconds for `ms`. Throws
 * `InvalidJobError` for `NaN` and infinities.
 *
 * @example
 * formatTimestamp(1796285684.6984, 'seconds'); // '1796285684.6984'
 * formatTimestamp(1796285684.6984, 'ms');      // '1796285684698'
 */
export function formatTimestamp(sec: number, format: TimestampFormat): string {
  if (format === 'seconds') return formatSeconds(sec);
  if (!Number.isFinite(sec)) throw new InvalidJobError(`timestamp must be a finite number, got ${String(sec)}`, sec);
  return String(Math.round(sec * 1000));
}

/**
 * Above this a payload timestamp is milliseconds: 1e11 s is the year 5138,
 * 1e11 ms is 1973 (docs/architecture.md §2).
 *
 * @example
 * const isMs = value > MS_THRESHOLD;
 */
export const MS_THRESHOLD = 1e11;

/**
 * Epoch milliseconds (e.g. `clock.realMs()`) to float epoch seconds.
 *
 * @example
 * toEpochSeconds(1_700_000_000_500); // 1700000000.5
 */
export function toEpochSeconds(ms: number): number {
  return ms / 1000;
}

/**
 * Reads a payload timestamp written by Sidekiq 6.4, 7.x or 8.x as float epoch
 * seconds. A number above 1e11 is Sidekiq 8's epoch milliseconds and is
 * converted; any other finite number is seconds already. Anything else
 * (a string, `null`, a missing key) gives `undefined`.
 *
 * @example
 * readTimestamp(1795807920.7045317); // 1795807920.7045317 (6.4/7.x seconds)
 * readTimestamp(1795807920704);      // 1795807920.704     (8.x milliseconds)
 * readTimestamp('soon');             // undefined
 */
export function readTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value > MS_THRESHOLD ? value / 1000 : value;
}

/**
 * Renders float epoch seconds for JSON, always with a fractional part and
 * never in exponent form, so Sidekiq 8 reads it as seconds, not as
 * milliseconds (docs/sidekiq-contract.md §2 "Timestamp hazard"). The digits are
 * the shortest that read back exactly. Throws `InvalidJobError` for `NaN`
 * and infinities, which have no JSON form.
 *
 * @example
 * formatSeconds(1700000000);   // '1700000000.0'
 * formatSeconds(1700000000.5); // '1700000000.5'
 * formatSeconds(1e21);         // '1000000000000000000000.0'
 */
export function formatSeconds(sec: number): string {
  // jobs built in the same clock tick share their times: render each once
  if (sec === lastSec) return lastText;
  const text = render(sec);
  lastSec = sec;
  lastText = text;
  return text;
}

/** The last {@link formatSeconds} call (NaN never equals itself: never a hit). */
let lastSec = Number.NaN;
let lastText = '';

function render(sec: number): string {
  const text = String(sec);
  if (text.includes('e')) return expandExponent(text); // |sec| >= 1e21 or < 1e-6
  if (text.includes('.')) return text;
  if (!Number.isFinite(sec)) throw new InvalidJobError(`timestamp must be a finite number, got ${text}`, sec);
  return `${text}.0`;
}

/**
 * A sorted-set score (`schedule`, `retry`, `dead`) for float epoch seconds;
 * same rendering as {@link formatSeconds}.
 *
 * @example
 * scoreOf(1795807923.3457375); // '1795807923.3457375'
 */
export function scoreOf(sec: number): string {
  return formatSeconds(sec);
}

/** `'1.5e-7'` → `'0.00000015'`, `'1e+21'` → `'1000000000000000000000.0'`. */
function expandExponent(text: string): string {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const e = body.indexOf('e');
  const mantissa = body.slice(0, e);
  const exponent = Number(body.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // Position of the decimal point counted from the first digit.
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = `${digits}${'0'.repeat(point - digits.length)}.0`;
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
