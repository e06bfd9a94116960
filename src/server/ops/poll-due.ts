/**
 * @internal
 * The scheduled/retry poller's Redis step (docs/sidekiq-contract.md §5.3): due
 * members of `retry` or `schedule` move to their queues in one atomic call,
 * original bytes kept except a fresh `enqueued_at` (docs/architecture.md §2: never
 * decode and re-encode a payload in Lua).
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../../config/defaults.js';
import { formatSeconds, formatTimestamp, type TimestampFormat } from '../../job/timestamp.js';
import { DEAD, QUEUES, RETRY, SCHEDULE, queueKey } from '../../redis/keys.js';
import { callScript } from '../../redis/call.js';

/** A member the poller could not route and sent to `dead` (wrapped, see `poll-due.lua`). */
export interface DeadLettered {
  /** The dead entry's jid: the member's own, else the first 24 hex digits of its SHA-1. */
  readonly jid: string;
  /** Why it could not be routed, e.g. `not a JSON object`; stored as the entry's `error_message`. */
  readonly reason: string;
  /** The member's first 200 bytes, bytes outside printable ASCII and `\` as `\xNN`. */
  readonly excerpt: string;
}

/** How the poller dead-letters what it cannot route. */
export interface PollDueOptions {
  /** Told about each member sent to `dead`. */
  readonly onDeadLettered?: (dead: DeadLettered) => void;
  /** Sidekiq `dead_max_jobs`: the dead set is trimmed on each add, as `killJob` does. @defaultValue 10,000 */
  readonly deadLimit?: number;
  /** Sidekiq `dead_timeout_in_seconds`, in ms. @defaultValue 180 days */
  readonly deadTimeoutMs?: number;
  /** How a promoted job's `enqueued_at` is written (the `timestamps` option). @defaultValue `'seconds'` */
  readonly timestamps?: TimestampFormat;
}

/**
 * Moves up to `limit` members of `set` scored at or below `nowSec`, lowest
 * first, to `queue:<payload.queue>` (SADD `queues`, LPUSH, and only then
 * ZREM). The queue is read from the payload's top level by a text scanner
 * with no nesting limit (cjson stops at 1,000 levels). Each member's
 * top-level `enqueued_at` is set to `nowSec` (always with a fractional
 * part) by editing the text; every other byte stays — `[]`, `{}`, 17-digit
 * integers, nested `enqueued_at` keys. A member that is not a JSON object
 * with a non-empty string `queue` goes to `dead` (score `nowSec`) wrapped in
 * a job-shaped object Sidekiq's Dead page reads, carrying its text and the
 * reason, instead of being lost (and the dead set trimmed as `killJob`
 * trims it); each is passed to `options.onDeadLettered`.
 * Returns how many members moved; when it equals `limit` more may be due,
 * so poll again at once. Throws `RangeError` when `limit` is not an integer ≥ 1.
 *
 * @example
 * while ((await pollDue(redis, 'retry', nowSec, 100, { onDeadLettered: (dead) => log(dead) })) === 100);
 */
export async function pollDue(
  redis: Redis,
  set: 'retry' | 'schedule',
  nowSec: number,
  limit: number,
  options: PollDueOptions = {},
): Promise<number> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pollDue: limit must be an integer >= 1, got ${limit}`);
  const { deadLimit = DEFAULTS.deadLimit, deadTimeoutMs = DEFAULTS.deadTimeout } = options;
  if (!Number.isInteger(deadLimit) || deadLimit < 1) throw new RangeError(`pollDue: deadLimit must be an integer >= 1, got ${deadLimit}`);
  const cutoff = nowSec - deadTimeoutMs / 1000;
  const reply = await callScript(
    redis,
    'poll-due',
    [set === 'retry' ? RETRY : SCHEDULE, QUEUES, DEAD],
    [
      formatSeconds(nowSec),
      limit,
      queueKey(''),
      Number.isFinite(cutoff) ? formatSeconds(cutoff) : '-inf',
      deadLimit,
      ...(options.timestamps === 'ms' ? [formatTimestamp(nowSec, 'ms')] : []),
    ],
  );
  const [moved, ...dead] = reply as [number, ...[string, string, string][]];
  for (const [jid, reason, excerpt] of dead) options.onDeadLettered?.({ jid, reason, excerpt });
  return moved;
}
