/**
 * @internal
 * When periodic (cron) entries run: each expression is parsed once, in UTC,
 * by {@link parseCron} (src/cron.ts, which states the grammar), and
 * {@link nextRunAfter} answers the next occurrence strictly after a given
 * time.
 */
import { createHash } from 'node:crypto';
import type { CronExpression } from 'cron-parser';
import type { Periodic } from '../config/options.js';
import { parseCron } from '../cron.js';

/** A periodic entry, parsed: what the periodic loop works with. */
export interface ScheduledPeriodic extends Periodic {
  /** The job's `class`: the worker's class, or the class name given. */
  readonly className: string;
  /**
   * First 16 hex digits of SHA-256 over the expression, class and options
   * (canonical JSON): the same entry has the same digest in every process,
   * so it names the per-occurrence claim key. Two identical entries share it
   * and run once per occurrence.
   */
  readonly digest: string;
}

/** Each scheduled entry's parsed expression (a CronExpression is a mutable iterator: private). */
const CRONS = new WeakMap<ScheduledPeriodic, CronExpression>();

/**
 * Parses a validated entry once. Throws `CronSyntaxError` (src/cron.ts) for an
 * expression that `checkCron` would have refused.
 *
 * @example
 * const entry = schedulePeriodic({ expression: '0 * * * *', worker: 'Report', options: { args: [1] } });
 * nextRunAfter(entry, Date.UTC(2026, 0, 1, 10, 30)); // Date.UTC(2026, 0, 1, 11)
 */
export function schedulePeriodic(periodic: Periodic): ScheduledPeriodic {
  const cron = parseCron(periodic.expression);
  const className = typeof periodic.worker === 'string' ? periodic.worker : periodic.worker.class;
  const entry: ScheduledPeriodic = Object.freeze({ ...periodic, className, digest: periodicDigest(periodic.expression, className, periodic.options) });
  CRONS.set(entry, cron);
  return entry;
}

/**
 * Epoch ms of the entry's first occurrence strictly after `afterMs` (UTC;
 * occurrences fall on whole seconds, whole minutes for 5 fields).
 *
 * @example
 * nextRunAfter(hourly, Date.UTC(2026, 0, 1, 11)); // Date.UTC(2026, 0, 1, 12): strictly after
 */
export function nextRunAfter(entry: ScheduledPeriodic, afterMs: number): number {
  const cron = CRONS.get(entry);
  if (!cron) throw new TypeError('nextRunAfter: the entry was not made by schedulePeriodic');
  if (!Number.isFinite(afterMs)) throw new RangeError(`nextRunAfter: expected epoch ms, got ${afterMs}`);
  // Floor: occurrences are whole seconds, so "after floor(t)" is "after t".
  cron.reset(new Date(Math.floor(afterMs)));
  return cron.next().getTime();
}

/** SHA-256 of `[expression, class, options]` as canonical JSON (object keys sorted), first 16 hex digits. */
export function periodicDigest(expression: string, className: string, options: object): string {
  return createHash('sha256')
    .update(JSON.stringify([expression, className, canonical(options)]))
    .digest('hex')
    .slice(0, 16);
}

/** A JSON value with every object's keys sorted (undefined members dropped by JSON.stringify later). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = canonical((value as Record<string, unknown>)[key]);
  return sorted;
}
