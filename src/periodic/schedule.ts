/**
 * @internal
 * When periodic (cron) entries run: each expression is parsed once, in UTC,
 * by cron-parser, and {@link nextRunAfter} answers the next occurrence
 * strictly after a given time. No matcher of our own (docs/kiq-elixir.md
 * docs/kiq-elixir.md bug 6: Kiq's never matched Sunday, ANDed the day fields, stepped
 * from 0 and ignored trailing input).
 *
 * Grammar (standard cron, as cron-parser reads it):
 * - 5 fields `minute hour day-of-month month weekday`, or 6 with a leading
 *   `second` field for sub-minute schedules; fields split on whitespace;
 *   a 4-field or 7-field expression is an error (nothing is ignored);
 * - `*`, `a`, `a-b`, `*\/n`, `a-b/n`, lists `a,b-c`; `JAN`…`DEC` and
 *   `SUN`…`SAT` in any case; weekday 0 and 7 are both Sunday;
 * - `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`, `@hourly`,
 *   and cron-parser's `@minutely`, `@secondly`, `@weekdays`, `@weekends`;
 * - day-of-month and weekday both restricted: a day matching **either**
 *   runs (the POSIX/Vixie OR rule). A field counts as unrestricted only when
 *   it is exactly `*` or `?`: `*\/2` in day-of-month is restricted, so
 *   `0 0 *\/2 * MON` runs on odd days **or** Mondays (Vixie cron would AND
 *   them because the field starts with `*`);
 * - cron-parser extensions kept (deterministic): `?`, `L` (last day /
 *   last weekday of the month), `#` (`1#1` = first Monday), `a/n` (= `a-max/n`);
 * - refused: `H` (cron-parser's hashed value is random per parse unless
 *   seeded, so each process would pick another time), aliases in another
 *   case (`@HOURLY`), and what cron-parser refuses: a value listed twice
 *   (`1-5,3`, also `0,7` for Sunday), a reversed range (`MON-SUN`), a step
 *   of 0, a date that never exists (`30 2`).
 */
import { createHash } from 'node:crypto';
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { Periodic } from '../config/options.js';

/** The `@` aliases cron-parser knows; matched exactly (lowercase), as cron does. */
export const CRON_ALIASES = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
  '@minutely',
  '@secondly',
  '@weekdays',
  '@weekends',
] as const;

/** Why an expression cannot be parsed; the message is the reason, for `KiqConfigError`. */
export class CronSyntaxError extends Error {
  override readonly name = 'CronSyntaxError';
}

/** cron-parser's hashed `H` as a value of its own (not the H inside THU). */
const HASHED = /(?<![A-Za-z])H(?![A-Za-z])/;

/**
 * Parses `expression` (surrounding whitespace ignored) in UTC, or throws
 * {@link CronSyntaxError} saying why.
 *
 * @example
 * parseCron('*\/15 9-17 * * mon-fri').stringify(); // '*\/15 9-17 * * 1-5'
 */
export function parseCron(expression: string): CronExpression {
  const trimmed = expression.trim();
  const alias = trimmed.startsWith('@');
  if (alias && !(CRON_ALIASES as readonly string[]).includes(trimmed)) {
    throw new CronSyntaxError(`unknown alias ${JSON.stringify(trimmed)} (known: ${CRON_ALIASES.join(', ')})`);
  }
  const fields = trimmed === '' ? [] : trimmed.split(/\s+/);
  if (!alias && fields.length !== 5 && fields.length !== 6) {
    throw new CronSyntaxError(`got ${fields.length} field${fields.length === 1 ? '' : 's'}`);
  }
  if (HASHED.test(trimmed)) throw new CronSyntaxError('H (a hashed random value) is not supported: each process would pick its own');
  try {
    const cron = CronExpressionParser.parse(trimmed, { tz: 'UTC' });
    cron.next(); // throws for an expression that never fires
    return cron;
  } catch (error) {
    const read = fields.length === 6 ? 'read as second minute hour day-of-month month weekday; ' : '';
    throw new CronSyntaxError(`${read}cron-parser says: ${(error as Error).message}`, { cause: error });
  }
}

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
 * Parses a validated entry once. Throws {@link CronSyntaxError} for an
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
