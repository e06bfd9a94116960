/**
 * @internal
 * The cron grammar Kiq accepts, in one leaf that config validation
 * (`checkCron`, src/config/validate.ts) and the periodic loop
 * (src/periodic/schedule.ts) both import: expressions are parsed in UTC by
 * cron-parser. No matcher of our own (docs/kiq-elixir.md bug 6: Kiq's never
 * matched Sunday, ANDed the day fields, stepped from 0 and ignored trailing
 * input).
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
import { CronExpressionParser, type CronExpression } from 'cron-parser';

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
