import { expect } from 'chai';
import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { CRON_ALIASES, CronSyntaxError, parseCron } from '../../src/cron.js';
import { nextRunAfter, periodicDigest, schedulePeriodic, type ScheduledPeriodic } from '../../src/periodic/schedule.js';
import { defineWorker } from '../../src/worker.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const entry = (expression: string): ScheduledPeriodic => schedulePeriodic({ expression, worker: 'Report', options: {} });

/** The first `n` occurrences strictly after `from`, as ISO strings. */
function occurrences(expression: string, from: string, n: number): string[] {
  const e = entry(expression);
  const out: string[] = [];
  for (let t = at(from); out.length < n; ) out.push(iso((t = nextRunAfter(e, t))));
  return out;
}

// ---------------------------------------------------------------------------------------
// Random expressions with known meaning: each field is generated as text together with
// the set of values standard cron gives it, so a small oracle can say when it runs.

interface FieldKind {
  readonly lo: number;
  readonly hi: number;
  /** Names for values lo.., e.g. months from 1, weekdays from 0 (7 has none). */
  readonly names?: readonly string[];
  /** May be written `?` instead of `*` (cron-parser accepts it everywhere; only day fields use it). */
  readonly question?: boolean;
  /** Values are taken modulo 7 (weekday: 7 is Sunday). */
  readonly mod7?: boolean;
}

const SECOND: FieldKind = { lo: 0, hi: 59 };
const MINUTE: FieldKind = { lo: 0, hi: 59 };
const HOUR: FieldKind = { lo: 0, hi: 23 };
const DOM: FieldKind = { lo: 1, hi: 31, question: true };
const MONTH: FieldKind = { lo: 1, hi: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] };
const DOW: FieldKind = { lo: 0, hi: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], question: true, mod7: true };

interface Field {
  readonly text: string;
  readonly values: ReadonlySet<number>;
  /** Exactly `*` or `?`: unrestricted for the day-of-month/weekday OR rule. */
  readonly star: boolean;
}

const casing = fc.array(fc.boolean(), { minLength: 3, maxLength: 3 });
const recase = (name: string, upper: readonly boolean[]): string => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');

/** A value as a number or, when it has one, its name in a random case. */
function valueText(kind: FieldKind, v: number): fc.Arbitrary<string> {
  const name = kind.names?.[v - kind.lo];
  return name === undefined ? fc.constant(String(v)) : fc.oneof(fc.constant(String(v)), casing.map((c) => recase(name, c)));
}

function span(kind: FieldKind, from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(kind.mod7 ? v % 7 : v);
  return out;
}

/** One list item: `v`, `a-b`, `a-b/n` or `*\/n`, with its values. */
function item(kind: FieldKind): fc.Arbitrary<{ text: string; values: number[] }> {
  const value = fc.integer({ min: kind.lo, max: kind.hi });
  const step = fc.integer({ min: 1, max: kind.hi - kind.lo + 1 });
  const range = fc.tuple(value, value).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
  return fc.oneof(
    value.chain((v) => valueText(kind, v).map((text) => ({ text, values: span(kind, v, v, 1) }))),
    range.chain(([a, b]) => fc.tuple(valueText(kind, a), valueText(kind, b)).map(([ta, tb]) => ({ text: `${ta}-${tb}`, values: span(kind, a, b, 1) }))),
    fc.tuple(range, step).map(([[a, b], n]) => ({ text: `${a}-${b}/${n}`, values: span(kind, a, b, n) })),
    step.map((n) => ({ text: `*/${n}`, values: span(kind, kind.lo, kind.hi, n) })),
  );
}

/** `*` (or `?`), or a list of items whose values do not overlap (cron-parser refuses a value listed twice). */
function field(kind: FieldKind): fc.Arbitrary<Field> {
  const all = new Set(span(kind, kind.lo, kind.hi, 1));
  const star = fc.constantFrom(...(kind.question ? ['*', '?'] : ['*'])).map((text): Field => ({ text, values: all, star: true }));
  const list = fc.array(item(kind), { minLength: 1, maxLength: 4 }).map((items): Field => {
    const values = new Set<number>();
    const kept = items.filter((it) => {
      if (it.values.some((v) => values.has(v)) || new Set(it.values).size !== it.values.length) return false;
      for (const v of it.values) values.add(v);
      return true;
    });
    return { text: kept.map((it) => it.text).join(','), values, star: false };
  });
  return fc.oneof({ arbitrary: star, weight: 2 }, { arbitrary: list, weight: 3 });
}

interface Spec {
  readonly text: string;
  readonly second: Field | undefined;
  readonly minute: Field;
  readonly hour: Field;
  readonly dom: Field;
  readonly month: Field;
  readonly dow: Field;
}

const spec: fc.Arbitrary<Spec> = fc
  .record({
    second: fc.option(field(SECOND), { nil: undefined, freq: 3 }),
    minute: field(MINUTE),
    hour: field(HOUR),
    dom: field(DOM),
    month: field(MONTH),
    dow: field(DOW),
  })
  .filter((s) => [s.second, s.minute, s.hour, s.dom, s.month, s.dow].every((f) => f === undefined || f.values.size > 0))
  .map((s) => ({ ...s, text: [s.second, s.minute, s.hour, s.dom, s.month, s.dow].flatMap((f) => (f ? [f.text] : [])).join(' ') }));

const sorted = (values: ReadonlySet<number>): number[] => [...values].sort((a, b) => a - b);
const DAY_MS = 86_400_000;

/**
 * Standard cron, by brute force over days: the first whole second after `t`
 * whose fields all match, day-of-month and weekday joined by OR when both are
 * restricted (POSIX; "restricted" = not exactly `*` or `?`, cron-parser's
 * reading). `undefined` when nothing comes within 9 years.
 */
function oracleNext(s: Spec, t: number): number | undefined {
  const start = Math.floor(t / 1000) * 1000 + 1000;
  const seconds = s.second ? sorted(s.second.values) : [0];
  const [minutes, hours] = [sorted(s.minute.values), sorted(s.hour.values)];
  const and = s.dom.star || s.dow.star;
  for (let day = Math.floor(start / DAY_MS) * DAY_MS, n = 0; n < 366 * 9; n++, day += DAY_MS) {
    const date = new Date(day);
    if (!s.month.values.has(date.getUTCMonth() + 1)) continue;
    const [dom, dow] = [s.dom.values.has(date.getUTCDate()), s.dow.values.has(date.getUTCDay())];
    if (and ? !(dom && dow) : !(dom || dow)) continue;
    for (const h of hours) {
      if (day + (h + 1) * 3_600_000 <= start) continue;
      for (const m of minutes) for (const sec of seconds) {
        const candidate = day + h * 3_600_000 + m * 60_000 + sec * 1000;
        if (candidate >= start) return candidate;
      }
    }
  }
  return undefined;
}

/** Any ms between 2000 and 2090, often on a whole second or minute (where "strictly after" matters). */
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) }),
  fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }).map((s) => s * 1000),
  fc.integer({ min: Date.UTC(2000, 0, 1) / 60_000, max: Date.UTC(2090, 0, 1) / 60_000 }).map((m) => m * 60_000),
);

describe('Periodic schedule (cron-parser in UTC)', () => {
  describe('random expressions', () => {
    it('nextRunAfter is cron-parser\'s own next occurrence, strictly after, on a whole second', () => {
      fc.assert(
        fc.property(spec, instant, (s, t) => {
          let e: ScheduledPeriodic;
          try {
            e = entry(s.text);
          } catch {
            return true; // an impossible date; the next property checks those
          }
          const ours = nextRunAfter(e, t);
          const theirs = CronExpressionParser.parse(s.text, { tz: 'UTC', currentDate: new Date(t) }).next().getTime();
          expect(ours, s.text).to.equal(theirs);
          expect(ours).to.be.greaterThan(t);
          expect(ours % 1000).to.equal(0);
          expect(nextRunAfter(e, ours - 1), 'an occurrence is found from just before it').to.equal(ours);
        }),
        { numRuns: Number(process.env.CRON_RUNS ?? 300) },
      );
    });

    it('agree with standard cron (OR of restricted day fields, steps from the range start, 7 = Sunday); only never-firing ones are refused', () => {
      fc.assert(
        fc.property(spec, instant, (s, t) => {
          const expected = oracleNext(s, t);
          let e: ScheduledPeriodic;
          try {
            e = entry(s.text);
          } catch (error) {
            expect(error, s.text).to.be.instanceOf(CronSyntaxError);
            expect(expected, `${s.text} was refused: ${(error as Error).message}`).to.equal(undefined);
            return;
          }
          expect(expected, `${s.text} never fires by the oracle`).to.not.equal(undefined);
          expect(iso(nextRunAfter(e, t)), `${s.text} after ${iso(t)}`).to.equal(iso(expected!));
        }),
        { numRuns: Number(process.env.CRON_RUNS ?? 300) },
      );
    });
  });

  describe('grammar (docs/kiq-elixir.md check 37-39, adapted to standard cron)', () => {
    it('parses any literal minute, hour, day, month (number or name in any case) and weekday (0-7 or name in any case) (item 37)', () => {
      for (let m = 0; m <= 59; m++) parseCron(`${m} * * * *`);
      for (let h = 0; h <= 23; h++) parseCron(`* ${h} * * *`);
      for (let d = 1; d <= 31; d++) parseCron(`* * ${d} * *`);
      for (const month of ['1', '12', 'JAN', 'jan', 'Jan', 'dEc']) parseCron(`* * * ${month} *`);
      for (const day of ['0', '6', '7', 'MON', 'mon', 'Mon', 'sUN', 'SAT']) parseCron(`* * * * ${day}`);
    });

    it('parses minute fields *, */N (N 1-59), N-(N+1) and lists of 1-10 minutes (item 38)', () => {
      parseCron('* * * * *');
      for (let n = 1; n <= 59; n++) parseCron(`*/${n} * * * *`);
      for (let n = 0; n <= 58; n++) parseCron(`${n}-${n + 1} * * * *`);
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 10 }), (minutes) => {
          parseCron(`${minutes.join(',')} * * * *`);
        }),
      );
    });

    it("refuses out-of-range values, a step of 0 and unknown words (item 39), but takes 7, 'jan' and 'sun' as standard cron does", () => {
      for (const bad of ['60 * * * *', '* 24 * * *', '* * 32 * *', '* * * 13 *', '*/0 * * * *', 'ONE * * * *', '* * * * 8']) {
        expect(() => parseCron(bad), bad).to.throw(CronSyntaxError, 'cron-parser says');
      }
      for (const good of ['* * * * 7', '* * * jan *', '* * * * sun']) expect(() => parseCron(good), good).to.not.throw();
    });

    it('reads nothing past the fields: 4 or 7 fields, trailing words and empty input are errors (Kiq ignored trailing input)', () => {
      expect(() => parseCron('* * * *')).to.throw(CronSyntaxError, 'got 4 fields');
      expect(() => parseCron('* * * * * * *')).to.throw(CronSyntaxError, 'got 7 fields');
      expect(() => parseCron('')).to.throw(CronSyntaxError, 'got 0 fields');
      expect(() => parseCron('* * * * * junk')).to.throw(CronSyntaxError, 'read as second minute hour day-of-month month weekday');
    });

    it('knows the lowercase aliases and nothing else (@reboot, @HOURLY, @often)', () => {
      for (const alias of CRON_ALIASES) expect(() => parseCron(alias), alias).to.not.throw();
      for (const bad of ['@reboot', '@HOURLY', '@often', '@']) expect(() => parseCron(bad), bad).to.throw(CronSyntaxError, 'unknown alias');
    });

    it('refuses H, whose random value would differ between processes, but not the H of THU', () => {
      for (const bad of ['H * * * *', 'H/5 * * * *', '0 H(0-5) * * *', '0 0 * * H', '0 0 * * 1,H']) {
        expect(() => parseCron(bad), bad).to.throw(CronSyntaxError, 'H (a hashed random value)');
      }
      expect(occurrences('0 0 * * THU', '2026-01-01T00:00:00Z', 2)).to.deep.equal(['2026-01-08T00:00:00Z', '2026-01-15T00:00:00Z']);
    });

    it("refuses what cron-parser refuses although cron takes it: a value listed twice (Sunday as 0,7 too), a reversed range", () => {
      expect(() => parseCron('0 12 * * 0,7')).to.throw(CronSyntaxError, 'duplicate values found: 0');
      expect(() => parseCron('1-5,3 * * * *')).to.throw(CronSyntaxError, 'duplicate values found: 3');
      expect(() => parseCron('0 9 * * MON-SUN')).to.throw(CronSyntaxError, 'Invalid range: 1-0');
    });

    it('refuses a date that never comes, unless the weekday rescues it', () => {
      expect(() => parseCron('0 0 30 2 *')).to.throw(CronSyntaxError, 'Invalid explicit day of month definition');
      expect(() => parseCron('0 0 31 4,6 *')).to.throw(CronSyntaxError, 'Invalid explicit day of month definition');
      expect(occurrences('0 0 30 2 MON', '2026-01-31T00:00:00Z', 2)).to.deep.equal(['2026-02-02T00:00:00Z', '2026-02-09T00:00:00Z']);
    });
  });

  describe('matching (items 40-42, adapted)', () => {
    it('"0 6,12,18 * * *" runs at 06:00, 12:00 and 18:00 (item 40)', () => {
      expect(occurrences('0 6,12,18 * * *', '2026-01-01T00:00:00Z', 4)).to.deep.equal([
        '2026-01-01T06:00:00Z',
        '2026-01-01T12:00:00Z',
        '2026-01-01T18:00:00Z',
        '2026-01-02T06:00:00Z',
      ]);
    });

    it('"0-2,4-6 */12 * * *" runs at minutes 0-2 and 4-6 of hours 0 and 12 (item 40)', () => {
      const times = occurrences('0-2,4-6 */12 * * *', '2025-12-31T23:59:00Z', 7).map((t) => t.slice(11, 16));
      expect(times).to.deep.equal(['00:00', '00:01', '00:02', '00:04', '00:05', '00:06', '12:00']);
    });

    it('"* * 20,21 SEP,NOV *" runs on September and November 20 and 21 (item 40)', () => {
      const e = entry('* * 20,21 SEP,NOV *');
      const days: string[] = [];
      for (let t = at('2026-01-01T00:00:00Z'); days.length < 5; t = Date.parse(days.at(-1)!.slice(0, 10)) + 86_400_000 - 1) {
        days.push(iso(nextRunAfter(e, t)));
      }
      expect(days).to.deep.equal(['2026-09-20T00:00:00Z', '2026-09-21T00:00:00Z', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', '2027-09-20T00:00:00Z']);
    });

    it('"0 12 * * SUN" and "0 12 * * 7" both run on Sundays (standard cron; Kiq never matched Sunday) (item 40, docs/kiq-elixir.md bug 6)', () => {
      const sundays = ['2026-01-04T12:00:00Z', '2026-01-11T12:00:00Z', '2026-01-18T12:00:00Z'];
      for (const sunday of ['SUN', 'sun', 'Sun', '0', '7']) {
        expect(occurrences(`0 12 * * ${sunday}`, '2026-01-01T00:00:00Z', 3), sunday).to.deep.equal(sundays);
      }
      expect(occurrences('0 12 * * 5-7', '2026-01-01T00:00:00Z', 3)).to.deep.equal(['2026-01-02T12:00:00Z', '2026-01-03T12:00:00Z', '2026-01-04T12:00:00Z']);
    });

    it('"* * * * *" runs at every minute boundary, strictly after the given time (item 41)', () => {
      const e = entry('* * * * *');
      fc.assert(fc.property(instant, (t) => nextRunAfter(e, t) === (Math.floor(t / 60_000) + 1) * 60_000));
    });

    it('"59 23 1 1 6" runs on January 1st OR on Saturdays in January: the standard OR rule, cron-parser\'s too (item 41; Kiq ANDed)', () => {
      expect(occurrences('59 23 1 1 6', '2026-01-01T00:00:00Z', 7)).to.deep.equal([
        '2026-01-01T23:59:00Z', // Thursday the 1st
        '2026-01-03T23:59:00Z', // Saturdays
        '2026-01-10T23:59:00Z',
        '2026-01-17T23:59:00Z',
        '2026-01-24T23:59:00Z',
        '2026-01-31T23:59:00Z',
        '2027-01-01T23:59:00Z', // Friday the 1st, then Saturday the 2nd
      ]);
    });

    it('"0 0 1 * MON" runs on the 1st and on every Monday (OR rule)', () => {
      expect(occurrences('0 0 1 * MON', '2025-12-31T00:00:00Z', 7)).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-05T00:00:00Z',
        '2026-01-12T00:00:00Z',
        '2026-01-19T00:00:00Z',
        '2026-01-26T00:00:00Z',
        '2026-02-01T00:00:00Z',
        '2026-02-02T00:00:00Z',
      ]);
    });

    it('counts a stepped day-of-month (*/2) as restricted, so it ORs with the weekday (cron-parser\'s rule; Vixie cron would AND it)', () => {
      // odd days, or Mondays: the 12th is an even Monday
      expect(occurrences('0 0 */2 * MON', '2026-01-09T00:00:00Z', 3)).to.deep.equal(['2026-01-11T00:00:00Z', '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z']);
      // `?` is unrestricted, like `*`
      expect(occurrences('0 0 ? * MON', '2026-01-01T00:00:00Z', 2)).to.deep.equal(['2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z']);
    });

    it('a literal minute, hour, day and month runs then, and not when any field is one lower (item 42)', () => {
      const target = at('2026-06-15T14:30:00Z');
      expect(nextRunAfter(entry('30 14 15 6 *'), target - 1)).to.equal(target);
      expect(nextRunAfter(entry('30 14 15 6 *'), target)).to.equal(at('2027-06-15T14:30:00Z'));
      for (const lower of ['29 14 15 6 *', '30 13 15 6 *', '30 14 14 6 *', '30 14 15 5 *']) {
        expect(nextRunAfter(entry(lower), target - 1), lower).to.not.equal(target);
      }
    });

    it('steps count from the start of the range: */2 days are 1, 3, 5 and */3 months January, April (Kiq counted from 0)', () => {
      expect(occurrences('0 0 */2 * *', '2025-12-31T00:00:00Z', 3)).to.deep.equal(['2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-05T00:00:00Z']);
      expect(occurrences('0 0 1 */3 *', '2025-12-31T00:00:00Z', 3)).to.deep.equal(['2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z', '2026-07-01T00:00:00Z']);
    });

    it('a-b/n steps within the range: "0 10-20/5 * * *" runs at 10:00, 15:00, 20:00; "1-10/3" at minutes 1, 4, 7, 10', () => {
      expect(occurrences('0 10-20/5 * * *', '2026-01-01T00:00:00Z', 4)).to.deep.equal(['2026-01-01T10:00:00Z', '2026-01-01T15:00:00Z', '2026-01-01T20:00:00Z', '2026-01-02T10:00:00Z']);
      expect(occurrences('1-10/3 * * * *', '2026-01-01T00:00:00Z', 5).map((t) => t.slice(11, 16))).to.deep.equal(['00:01', '00:04', '00:07', '00:10', '01:01']);
      expect(occurrences('0 0 * jan-Mar/2 *', '2026-01-05T00:00:00Z', 2).map((t) => t.slice(0, 10))).to.deep.equal(['2026-01-06', '2026-01-07']);
      expect(occurrences('0 0 1 jan-MAR/2 *', '2026-01-05T00:00:00Z', 2).map((t) => t.slice(0, 10))).to.deep.equal(['2026-03-01', '2027-01-01']);
    });

    it('names work in any case, in lists and ranges', () => {
      const expected = occurrences('0 9 * 1,2 1-5', '2026-01-01T00:00:00Z', 10);
      for (const text of ['0 9 * JAN,FEB MON-FRI', '0 9 * jan,feb mon-fri', '0 9 * Jan,fEb Mon-Fri']) {
        expect(occurrences(text, '2026-01-01T00:00:00Z', 10), text).to.deep.equal(expected);
      }
    });

    it('the aliases are their standard expressions', () => {
      const same: Record<string, string> = {
        '@yearly': '0 0 1 1 *',
        '@annually': '0 0 1 1 *',
        '@monthly': '0 0 1 * *',
        '@weekly': '0 0 * * 0',
        '@daily': '0 0 * * *',
        '@hourly': '0 * * * *',
        '@minutely': '* * * * *',
        '@secondly': '* * * * * *',
        '@weekdays': '0 0 * * 1-5',
        '@weekends': '0 0 * * 0,6',
      };
      expect(Object.keys(same)).to.have.members([...CRON_ALIASES]);
      for (const [alias, expression] of Object.entries(same)) {
        for (const from of ['2026-01-01T00:00:00Z', '2027-02-28T23:59:59.500Z', '2028-12-31T23:00:00Z']) {
          expect(occurrences(alias, from, 3), `${alias} from ${from}`).to.deep.equal(occurrences(expression, from, 3));
        }
      }
    });

    it('a 6th leading field is seconds: "*/15 * * * * *" every 15 s, "30 0 12 * * *" at 12:00:30; 5 fields run at second 0', () => {
      expect(occurrences('*/15 * * * * *', '2026-01-01T00:00:00Z', 5).map((t) => t.slice(14, 19))).to.deep.equal(['00:15', '00:30', '00:45', '01:00', '01:15']);
      expect(occurrences('30 0 12 * * *', '2026-01-01T12:00:30Z', 1)).to.deep.equal(['2026-01-02T12:00:30Z']);
      expect(occurrences('0 12 * * *', '2026-01-01T11:59:59.999Z', 1)).to.deep.equal(['2026-01-01T12:00:00Z']);
    });

    it('cron-parser extensions kept: L (last day) and # (nth weekday)', () => {
      expect(occurrences('0 0 L * *', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).to.deep.equal(['2026-01-31', '2026-02-28', '2026-03-31']);
      expect(occurrences('0 0 * * 1#1', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).to.deep.equal(['2026-01-05', '2026-02-02', '2026-03-02']);
    });
  });

  describe('nextRunAfter', () => {
    it('is strictly after, also for fractional milliseconds', () => {
      const e = entry('* * * * * *');
      const t = at('2026-01-01T00:00:10Z');
      expect(nextRunAfter(e, t - 0.5)).to.equal(t);
      expect(nextRunAfter(e, t)).to.equal(t + 1000);
      expect(nextRunAfter(e, t + 0.5)).to.equal(t + 1000);
      expect(nextRunAfter(e, t + 999.9)).to.equal(t + 1000);
    });

    it('does not depend on the order of calls (one parsed expression, reset each time)', () => {
      const e = entry('0 0 * * *');
      expect(nextRunAfter(e, at('2030-05-05T10:00:00Z'))).to.equal(at('2030-05-06T00:00:00Z'));
      expect(nextRunAfter(e, at('2026-01-01T10:00:00Z'))).to.equal(at('2026-01-02T00:00:00Z'));
    });

    it('refuses entries it did not make and times that are not numbers', () => {
      const e = entry('* * * * *');
      expect(() => nextRunAfter({ ...e }, 0)).to.throw(TypeError, 'schedulePeriodic');
      expect(() => nextRunAfter(e, Number.NaN)).to.throw(RangeError);
    });
  });

  describe('schedulePeriodic', () => {
    const Report = defineWorker({ class: 'Report', async perform() {} });

    it('keeps the entry and adds its class name and digest', () => {
      const e = schedulePeriodic({ expression: '@hourly', worker: Report, options: { args: [1], queue: 'low' } });
      expect(e).to.include({ expression: '@hourly', worker: Report, className: 'Report' });
      expect(e.options).to.deep.equal({ args: [1], queue: 'low' });
      expect(e.digest).to.match(/^[0-9a-f]{16}$/);
      expect(Object.isFrozen(e)).to.equal(true);
    });

    it('gives the same digest in every process: worker or class name, options in any key order', () => {
      const a = schedulePeriodic({ expression: '@hourly', worker: Report, options: { args: [{ b: 1, a: 2 }], queue: 'low' } });
      const b = schedulePeriodic({ expression: '@hourly', worker: 'Report', options: { queue: 'low', args: [{ a: 2, b: 1 }] } });
      expect(a.digest).to.equal(b.digest);
      expect(a.digest).to.equal(periodicDigest('@hourly', 'Report', { args: [{ a: 2, b: 1 }], queue: 'low' }));
    });

    it('gives entries that differ in expression, class or options different digests', () => {
      const base = periodicDigest('0 * * * *', 'Report', { args: [1] });
      expect(periodicDigest('0 * * * * *', 'Report', { args: [1] })).to.not.equal(base);
      expect(periodicDigest('0 * * * *', 'Other', { args: [1] })).to.not.equal(base);
      expect(periodicDigest('0 * * * *', 'Report', { args: [2] })).to.not.equal(base);
      expect(periodicDigest('0 * * * *', 'Report', { args: [1], queue: 'low' })).to.not.equal(base);
    });
  });
});
