/**
 * @internal
 * Payload → the JSON string stored in Redis: compact, keys in insertion
 * order, timestamps always with a fractional part (docs/sidekiq-contract.md §2
 * "Timestamp hazard"; docs/architecture.md §2). This runs once per pushed job.
 */
import { InvalidJobError } from '../errors.js';
import { TIMESTAMP_KEYS, type JobPayload } from './payload.js';
import { formatSeconds, formatTimestamp, MS_KEYS, type TimestampFormat } from './timestamp.js';

/**
 * Encoding options.
 *
 * @example
 * const forQueue: EncodeOptions = { enqueuedAtSec: 1795807920.70468 };
 * const forSchedule: EncodeOptions = { enqueuedAtSec: null };
 */
export interface EncodeOptions {
  /**
   * `enqueued_at` to write, float epoch seconds (a job pushed onto a queue
   * now), replacing any value in the payload. `null` leaves `enqueued_at`
   * out (a job going to the `schedule` set, docs/sidekiq-contract.md §3).
   * Absent: the payload's own value, if any, is written.
   */
  enqueuedAtSec?: number | null;
  /** How `created_at`, `enqueued_at`, `failed_at` and `retried_at` are written. @defaultValue `'seconds'` */
  timestamps?: TimestampFormat;
}

/** `"key":` for every key seen so far; payloads reuse a handful of keys. */
const keyPrefix = new Map<string, string>();

function prefixOf(key: string): string {
  let prefix = keyPrefix.get(key);
  if (prefix === undefined) {
    prefix = `${JSON.stringify(key)}:`;
    if (keyPrefix.size < 1024) keyPrefix.set(key, prefix);
  }
  return prefix;
}

/**
 * Encodes a payload as compact JSON. Keys keep their order; keys whose value
 * is `undefined` are left out; `created_at`, `enqueued_at`, `failed_at`,
 * `retried_at` and `expires_at` are written by `formatSeconds` (always a
 * fractional part); other keys are written as `JSON.stringify` would.
 * Does not modify the payload. Throws `InvalidJobError` when a value has no
 * JSON form (a cycle, a BigInt, nesting too deep for `JSON.stringify`).
 *
 * @example
 * encodeJob({ class: 'W', args: [1], jid: 'a319acf4a129c1d6e0eec6db', queue: 'default', created_at: 1700000000 });
 * // '{"class":"W","args":[1],"jid":"a319acf4a129c1d6e0eec6db","queue":"default","created_at":1700000000.0}'
 * encodeJob(payload, { enqueuedAtSec: clock.realMs() / 1000 }); // as pushed to queue:<name>
 * encodeJob(payload, { enqueuedAtSec: null });                  // as added to schedule
 */
export function encodeJob(payload: JobPayload, options?: EncodeOptions): string {
  try {
    return encode(payload, options?.enqueuedAtSec, options?.timestamps ?? 'seconds');
  } catch (error) {
    if (error instanceof InvalidJobError) throw error;
    // Cycles and BigInt (TypeError), nesting too deep for JSON.stringify (RangeError).
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidJobError(`cannot encode as JSON (${reason})`, payload, { cause: error });
  }
}

// Parts joined once: `out +=` would leave a rope of string pieces that every
// buffered job keeps alive (~955 bytes instead of ~320 measured) and that
// the socket write must flatten again.
function encode(payload: JobPayload, enqueuedAt: number | null | undefined, format: TimestampFormat): string {
  // the common case, a job just built: JSON.stringify writes exactly what the loop below would
  if (enqueuedAt === undefined && format === 'seconds' && timestampsAsIs(payload)) return JSON.stringify(payload);
  const parts: string[] = [];
  let sawEnqueuedAt = false;
  for (const key of Object.keys(payload)) {
    let value = payload[key];
    if (key === 'enqueued_at') {
      sawEnqueuedAt = true;
      if (enqueuedAt !== undefined) value = enqueuedAt ?? undefined;
    }
    const json =
      typeof value === 'number' && TIMESTAMP_KEYS.has(key) && Number.isFinite(value)
        ? MS_KEYS.has(key)
          ? formatTimestamp(value, format)
          : formatSeconds(value)
        : stringify(value);
    if (json === undefined) continue;
    parts.push(prefixOf(key) + json);
  }
  if (!sawEnqueuedAt && typeof enqueuedAt === 'number') parts.push(`"enqueued_at":${formatTimestamp(enqueuedAt, format)}`);
  return `{${parts.join(',')}}`;
}

/**
 * True when `JSON.stringify` writes every timestamp of `payload` as
 * {@link formatSeconds} does: each is not a finite number (both write it as
 * any value), or has a fractional part and no exponent form
 * (1e-6 ≤ |t| < 1e21, where `Number#toString` uses none).
 */
function timestampsAsIs(payload: JobPayload): boolean {
  for (const key of TIMESTAMP_KEYS) {
    const value = payload[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const size = Math.abs(value);
    if (Number.isInteger(value) || size >= 1e21 || size < 1e-6) return false;
  }
  return true;
}

/** `JSON.stringify` with shortcuts for the common scalar cases. */
function stringify(value: unknown): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return JSON.stringify(value);
  }
}
