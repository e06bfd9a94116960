import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { InvalidJobError } from '../../src/errors.js';
import { buildJob, type PlainJob } from '../../src/job/build.js';
import { defineWorker } from '../../src/worker.js';

const NOW_MS = Date.UTC(2026, 0, 1);
const NOW = NOW_MS / 1000;

const Mailer = defineWorker({
  class: 'Mailer',
  queue: 'mailers',
  retry: 5,
  async perform(_args: [string, number]) {},
});

const Unique = defineWorker({
  class: 'Unique',
  uniqueFor: 60_000,
  uniqueUntil: 'start',
  expiresIn: 3_600_000,
  backtrace: 3,
  dead: false,
  async perform(_args: [number]) {},
});

function rejects(fn: () => unknown, message: RegExp): InvalidJobError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidJobError);
    expect((error as Error).message).to.match(message);
    expect((error as InvalidJobError).code).to.equal('KIQ_ERR_INVALID_JOB');
    return error as InvalidJobError;
  }
  expect.fail(`expected InvalidJobError matching ${message}`);
}

describe('buildJob', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock(NOW_MS);
  });

  describe('from a plain object', () => {
    it('defaults args to [], queue to "default" and retry to true (Kiq docs/kiq-elixir.md check 1)', () => {
      const { payload, atSec, uniqueTtlMs } = buildJob({ class: 'Worker' }, clock);
      expect(payload.class).to.equal('Worker');
      expect(payload.args).to.deep.equal([]);
      expect(payload.queue).to.equal('default');
      expect(payload.retry).to.equal(true);
      expect(payload.jid).to.match(/^[0-9a-f]{24}$/);
      expect(payload.created_at).to.equal(NOW);
      expect(atSec).to.equal(undefined);
      expect(uniqueTtlMs).to.equal(undefined);
    });

    it('writes keys in the order Sidekiq 6.4 does: retry, queue, class, args, jid, created_at', () => {
      const { payload } = buildJob({ class: 'Worker', args: [1] }, clock);
      expect(Object.keys(payload)).to.deep.equal(['retry', 'queue', 'class', 'args', 'jid', 'created_at']);
    });

    it('keeps a given jid, queue, retry and created_at', () => {
      const { payload } = buildJob(
        { class: 'W', jid: 'a319acf4a129c1d6e0eec6db', queue: 'low', retry: 0, created_at: 1795807920.5 },
        clock,
      );
      expect(payload).to.include({ jid: 'a319acf4a129c1d6e0eec6db', queue: 'low', retry: 0, created_at: 1795807920.5 });
    });

    it('reads a given created_at in Sidekiq 8 milliseconds as seconds', () => {
      expect(buildJob({ class: 'W', created_at: 1795807920704 }, clock).payload.created_at).to.equal(1795807920.704);
    });

    it('passes other Sidekiq keys through unchanged and in order', () => {
      const { payload } = buildJob(
        { class: 'W', tags: ['a', 'b'], bid: 'Xy', wrapped: 'MyJob', cattr: { user: 1 }, retry_queue: 'slow' },
        clock,
      );
      expect(Object.keys(payload)).to.deep.equal([
        'retry', 'queue', 'class', 'tags', 'bid', 'wrapped', 'cattr', 'retry_queue', 'args', 'jid', 'created_at',
      ]);
      expect(payload).to.deep.include({ tags: ['a', 'b'], bid: 'Xy', wrapped: 'MyJob', cattr: { user: 1 } });
    });

    it('leaves out keys whose value is undefined', () => {
      expect(buildJob({ class: 'W', tags: undefined }, clock).payload).to.not.have.property('tags');
    });

    it('drops a given enqueued_at: it is set when the job is pushed', () => {
      expect(buildJob({ class: 'W', enqueued_at: 1 }, clock).payload).to.not.have.property('enqueued_at');
    });

    it('refuses "at" and "in" as payload keys and points to the options', () => {
      rejects(() => buildJob({ class: 'W', at: 1795807923.5 }, clock), /"at" is not a payload key.*options/);
      rejects(() => buildJob({ class: 'W', in: 5 }, clock), /"in" is not a payload key/);
    });

    it('treats unique_for and expires_in as Sidekiq seconds', () => {
      const { payload, uniqueTtlMs } = buildJob({ class: 'W', unique_for: 60, expires_in: 30 }, clock, { in: 10_000 });
      expect(payload.unique_for).to.equal(60);
      expect(payload.expires_in).to.equal(30);
      expect(payload.expires_at).to.equal(NOW + 10 + 30);
      expect(uniqueTtlMs).to.equal(70_000);
    });

    it('accepts unique_for: false (Enterprise: not unique) and takes no lock', () => {
      const built = buildJob({ class: 'W', unique_for: false }, clock);
      expect(built.payload.unique_for).to.equal(false);
      expect(built.uniqueTtlMs).to.equal(undefined);
    });

    it('lets options override the plain keys', () => {
      const { payload } = buildJob({ class: 'W', queue: 'a', retry: 1, jid: 'x' }, clock, { queue: 'b', retry: false, jid: 'y' });
      expect(payload).to.include({ queue: 'b', retry: false, jid: 'y' });
    });

    it('keeps a "__proto__" key from parsed input as an own key without touching any prototype', () => {
      const input = JSON.parse('{"class":"W","__proto__":{"polluted":true}}') as PlainJob;
      const { payload } = buildJob(input, clock);
      expect(Object.getPrototypeOf(payload)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(payload, '__proto__')?.value).to.deep.equal({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('from a worker', () => {
    it("uses the worker's class, queue and retry", () => {
      const { payload } = buildJob({ worker: Mailer, args: ['a@b.c', 1] }, clock);
      expect(payload).to.deep.include({ retry: 5, queue: 'mailers', class: 'Mailer', args: ['a@b.c', 1], created_at: NOW });
      expect(Object.keys(payload)).to.deep.equal(['retry', 'queue', 'class', 'args', 'jid', 'created_at']);
    });

    it('maps camelCase options in ms to Sidekiq keys in seconds', () => {
      const { payload, uniqueTtlMs } = buildJob({ worker: Unique, args: [1] }, clock);
      expect(payload).to.deep.include({
        dead: false,
        backtrace: 3,
        unique_for: 60,
        unique_until: 'start',
        expires_in: 3600,
        expires_at: NOW + 3600,
      });
      expect(uniqueTtlMs).to.equal(60_000);
      expect(Object.keys(payload)).to.deep.equal([
        'retry', 'queue', 'class', 'dead', 'backtrace', 'unique_for', 'unique_until', 'expires_in', 'args', 'jid', 'created_at', 'expires_at',
      ]);
    });

    it('writes fractional seconds for sub-second durations', () => {
      const { payload } = buildJob({ worker: Unique, args: [1] }, clock, { uniqueFor: 1500, expiresIn: 250 });
      expect(payload.unique_for).to.equal(1.5);
      expect(payload.expires_in).to.equal(0.25);
    });

    it("lets per-call options override the worker's", () => {
      const { payload } = buildJob({ worker: Unique, args: [1] }, clock, {
        queue: 'q', retry: 0, dead: true, backtrace: false, uniqueUntil: 'success', jid: 'mine',
      });
      expect(payload).to.include({ queue: 'q', retry: 0, dead: true, backtrace: false, unique_until: 'success', jid: 'mine' });
    });

    it('refuses an unknown option, naming it', () => {
      rejects(() => buildJob({ worker: Mailer, args: ['a', 1] }, clock, { In: 5 } as never), /unknown option "In"/);
    });
  });

  describe('scheduling', () => {
    it('returns atSec beside the payload for { in: ms } and never puts "at" in the payload', () => {
      const { payload, atSec } = buildJob({ worker: Mailer, args: ['a', 1] }, clock, { in: 30_000 });
      expect(atSec).to.equal(NOW + 30);
      expect(payload).to.not.have.property('at');
      expect(payload).to.not.have.property('enqueued_at');
    });

    it('takes { at } as a Date or as epoch milliseconds', () => {
      expect(buildJob({ class: 'W' }, clock, { at: new Date(NOW_MS + 1500) }).atSec).to.equal(NOW + 1.5);
      expect(buildJob({ class: 'W' }, clock, { at: NOW_MS + 2000 }).atSec).to.equal(NOW + 2);
    });

    it('pushes at once when the time is now or past, as Sidekiq does', () => {
      expect(buildJob({ class: 'W' }, clock, { in: 0 }).atSec).to.equal(undefined);
      expect(buildJob({ class: 'W' }, clock, { in: -5000 }).atSec).to.equal(undefined);
      expect(buildJob({ class: 'W' }, clock, { at: new Date(NOW_MS - 1) }).atSec).to.equal(undefined);
    });

    it('counts expires_at from the scheduled time (docs/architecture.md §2, Pro expiry)', () => {
      const { payload } = buildJob({ worker: Unique, args: [1] }, clock, { in: 7_200_000 });
      expect(payload.expires_at).to.equal(NOW + 7200 + 3600);
    });

    it('adds the delay to the unique lock TTL (perform_in 1 h with 10 min → 70 min)', () => {
      const { uniqueTtlMs } = buildJob({ worker: Unique, args: [1] }, clock, { in: 3_600_000, uniqueFor: 600_000 });
      expect(uniqueTtlMs).to.equal(4_200_000);
    });

    it('gives the lock TTL in whole milliseconds even with a sub-millisecond clock', () => {
      const fine = { realMs: () => NOW_MS + 0.375, monoMs: () => 0 };
      const { uniqueTtlMs } = buildJob({ worker: Unique, args: [1] }, fine, { uniqueFor: 333, at: NOW_MS + 1000 });
      expect(uniqueTtlMs).to.equal(333 + 1000);
    });

    it('refuses "in" and "at" together', () => {
      rejects(() => buildJob({ class: 'W' }, clock, { in: 1, at: NOW_MS + 5 }), /either "in" or "at", not both/);
    });

    it('refuses non-finite or mistyped times, and an "at" that looks like seconds', () => {
      rejects(() => buildJob({ class: 'W' }, clock, { in: Number.NaN }), /"in" to be a finite number/);
      rejects(() => buildJob({ class: 'W' }, clock, { in: Infinity }), /"in"/);
      rejects(() => buildJob({ class: 'W' }, clock, { at: new Date('nope') }), /"at" to be a valid Date/);
      rejects(() => buildJob({ class: 'W' }, clock, { at: '2026-01-01' as never }), /"at" to be a Date or epoch milliseconds/);
      rejects(() => buildJob({ class: 'W' }, clock, { at: NOW }), /looks like seconds/);
    });
  });

  describe('validation', () => {
    it('requires class to be a non-empty string', () => {
      rejects(() => buildJob({ class: '' }, clock), /"class" to be a non-empty string, got: ""/);
      rejects(() => buildJob({ class: 1 } as never, clock), /"class"/);
      rejects(() => buildJob({ args: [] } as never, clock), /"class"/);
      rejects(() => buildJob(null as never, clock), /expected \{ worker, args \} or a plain job object/);
    });

    it('requires queue to be a non-empty string', () => {
      rejects(() => buildJob({ class: 'W', queue: '' }, clock), /"queue"/);
      rejects(() => buildJob({ class: 'W' }, clock, { queue: 7 as never }), /"queue"/);
    });

    it('accepts retry true, false or a non-negative integer only', () => {
      for (const retry of [true, false, 0, 25]) expect(buildJob({ class: 'W', retry }, clock).payload.retry).to.equal(retry);
      for (const retry of [-1, 1.5, '3']) rejects(() => buildJob({ class: 'W', retry } as never, clock), /"retry"/);
    });

    it('accepts uniqueUntil "start" or "success" only', () => {
      rejects(() => buildJob({ worker: Unique, args: [1] }, clock, { uniqueUntil: 'whenever' as never }), /"uniqueUntil" to be "start" or "success"/);
      rejects(() => buildJob({ class: 'W', unique_until: 'always' }, clock), /"unique_until"/);
    });

    it('requires positive finite durations', () => {
      rejects(() => buildJob({ class: 'W' }, clock, { uniqueFor: 0 }), /"uniqueFor" to be a positive finite number/);
      rejects(() => buildJob({ class: 'W' }, clock, { expiresIn: -1 }), /"expiresIn"/);
      rejects(() => buildJob({ class: 'W' }, clock, { expiresIn: Infinity }), /"expiresIn"/);
      rejects(() => buildJob({ class: 'W', expires_in: '1h' }, clock), /"expires_in"/);
    });

    it('checks dead and backtrace types', () => {
      rejects(() => buildJob({ class: 'W', dead: 'no' }, clock), /"dead" to be a boolean/);
      rejects(() => buildJob({ class: 'W' }, clock, { backtrace: -2 }), /"backtrace"/);
    });

    it('requires args to be an array', () => {
      rejects(() => buildJob({ class: 'W', args: 'x' as never }, clock), /"args" to be an array, got: "x"/);
      rejects(() => buildJob({ worker: Mailer, args: undefined as never }, clock), /"args" to be an array/);
    });

    it('keeps the rejected input in .payload', () => {
      const input = { class: '' };
      expect(rejects(() => buildJob(input, clock), /class/).payload).to.equal(input);
    });

    class Point {
      constructor(readonly x: number) {}
    }
    const circular: unknown[] = [];
    circular.push(circular);
    const bad: Array<[string, unknown[], RegExp]> = [
      ['undefined', [1, undefined], /^invalid job: args\[1\] is undefined, which JSON cannot hold \(use null\)$/],
      ['an array hole', [1, , 3], /args\[1\] is undefined/], // eslint-disable-line no-sparse-arrays
      ['a function', [() => 1], /args\[0\] is a function/],
      ['a symbol', [Symbol('s')], /args\[0\] is a symbol/],
      ['a bigint', [10n], /args\[0\] is a bigint/],
      ['NaN', [Number.NaN], /args\[0\] is NaN/],
      ['Infinity', [{ n: -Infinity }], /args\[0\]\.n is -Infinity/],
      ['a Date', [{ when: new Date(0) }], /args\[0\]\.when is a Date.*toISOString/],
      ['a Map', [new Map()], /args\[0\] is a Map, not a plain object/],
      ['a class instance', [[new Point(1)]], /args\[0\]\[0\] is a Point, not a plain object/],
      ['a key that is not an identifier', [{ 'a b': undefined }], /args\[0\]\["a b"\] is undefined/],
      ['a cycle', circular, /nested more than 512 levels deep \(circular\?\)/],
    ];
    for (const [what, args, message] of bad) {
      it(`refuses args holding ${what}, naming where`, () => {
        rejects(() => buildJob({ class: 'W', args }, clock), message);
      });
    }

    it('refuses non-JSON values in other plain keys too', () => {
      rejects(() => buildJob({ class: 'W', cattr: { at: new Date() } }, clock), /cattr\.at is a Date/);
    });

    it('accepts plain JSON: nested arrays and objects, unicode, null-prototype objects', () => {
      const dict = Object.assign(Object.create(null) as object, { k: 'v' });
      const args = [null, true, 0, -1.5, 'héllo 🐙', [], {}, [[{ a: [{ b: null }] }]], dict];
      expect(buildJob({ class: 'W', args }, clock).payload.args).to.equal(args);
    });
  });
});
