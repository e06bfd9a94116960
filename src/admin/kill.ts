/**
 * "Kill" for entries of the `retry` and `schedule` sets: to the dead set
 * now, unchanged, with the trim every dead add does (Sidekiq's
 * `SortedEntry#kill` and `RetrySet#kill_all`, lib/sidekiq/api.rb).
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../config/defaults.js';
import { AdminError } from '../errors.js';
import { formatSeconds } from '../job/timestamp.js';
import { DEAD } from '../redis/keys.js';
import { callScript } from '../redis/call.js';
import { GONE, drainSet, type EnqueueResult, type SetEntry, type SetName, type SkippedEntry } from './sets.js';

/** How the dead set is trimmed on each kill (Sidekiq's `dead_max_jobs` and `dead_timeout_in_seconds`). */
export interface DeadTrim {
  /** Keep fewer than this many entries (Sidekiq `dead_max_jobs`). @defaultValue 10_000 */
  readonly deadLimit?: number;
  /** Drop entries that died longer ago than this, ms (Sidekiq `dead_timeout_in_seconds`). @defaultValue 180 days */
  readonly deadTimeoutMs?: number;
  /** Now, epoch ms (the dead score). @defaultValue `Date.now()` */
  readonly nowMs?: number;
}

/**
 * Move `entries` (of `retry` or `schedule`) to `dead`, each in one script
 * (`kill-entry.lua`: ZADD dead, trim, then ZREM of the exact member;
 * nothing when the member is gone). The payload is not edited. Throws
 * `AdminError` (`invalid-argument`) for entries of `dead` itself or a bad trim.
 *
 * @example
 * const { moved } = await killEntries(redis, await findEntries(redis, 'retry', jid));
 */
export async function killEntries(redis: Redis, entries: readonly SetEntry[], trim: DeadTrim = {}): Promise<EnqueueResult> {
  const { deadLimit = DEFAULTS.deadLimit, deadTimeoutMs = DEFAULTS.deadTimeout, nowMs = Date.now() } = trim;
  if (!Number.isInteger(deadLimit) || deadLimit < 1) throw new AdminError('invalid-argument', `deadLimit must be an integer >= 1, got ${deadLimit}`);
  if (!(deadTimeoutMs > 0)) throw new AdminError('invalid-argument', `deadTimeoutMs must be a positive number of ms, got ${deadTimeoutMs}`);
  if (entries.some((entry) => entry.set === DEAD)) throw new AdminError('invalid-argument', 'cannot kill an entry of the dead set: it is dead already');
  const nowSec = nowMs / 1000;
  const cutoff = nowSec - deadTimeoutMs / 1000;
  const moved: SetEntry[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    const done = await callScript(
      redis,
      'kill-entry',
      [entry.set, DEAD],
      [entry.member, formatSeconds(nowSec), Number.isFinite(cutoff) ? formatSeconds(cutoff) : '-inf', deadLimit],
    );
    if (done === 1) moved.push(entry);
    else skipped.push({ entry, reason: GONE });
  }
  return { moved, skipped };
}

/**
 * Every entry of `set` (`retry` or `schedule`) to `dead`, lowest score
 * first, in batches (Sidekiq's `RetrySet#kill_all`; see `drainSet` for what
 * concurrent pollers do to it).
 *
 * @example
 * const { moved } = await killAll(redis, 'retry');
 */
export async function killAll(redis: Redis, set: Exclude<SetName, typeof DEAD>, trim: DeadTrim = {}): Promise<EnqueueResult> {
  if ((set as SetName) === DEAD) throw new AdminError('invalid-argument', 'cannot kill the dead set: its entries are dead already');
  return drainSet(redis, set, (batch) => killEntries(redis, batch, trim));
}
