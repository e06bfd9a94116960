import { expect } from 'chai';
import { createActor } from 'xstate';
import { tickerMachine } from '../../machines/ticker.js';
import { ManualClock, systemClock, type Clock } from '../../src/clock.js';
import { buildJob } from '../../src/job/build.js';
import { periodicJob } from '../../src/periodic/job.js';
import { schedulePeriodic, type ScheduledPeriodic } from '../../src/periodic/schedule.js';
import { CLAIM_TTL_MS, MAX_CATCH_UP_MS, MAX_TICK_MS, PeriodicLoop, periodicTick, type PeriodicDeps } from '../../src/periodic/tick.js';
import { ConnectionPool } from '../../src/redis/connections.js';
import { periodicKey } from '../../src/redis/keys.js';
import { ERROR_DELAY_MS } from '../../src/server/tickers.js';
import { defineWorker } from '../../src/worker.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

const T0 = Date.UTC(2026, 0, 1); // a Thursday, 00:00:00
const Report = defineWorker({ class: 'Report', queue: 'reports', retry: 5, async perform() {} });

/** One enqueue call as the loop made it. */
interface Call {
  readonly by: string;
  readonly entry: ScheduledPeriodic;
  readonly atMs: number;
  /** The process's clock when it enqueued. */
  readonly nowMs: number;
}

describe('Periodic tick (real Redis)', () => {
  const redis = useRedis();
  let pools: ConnectionPool[];

  beforeEach(() => {
    pools = [];
  });
  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
  });

  async function pool(): Promise<ConnectionPool> {
    const p = new ConnectionPool({ url: redis.url, options: {} }, 1, 'periodic-test');
    pools.push(p);
    await p.connect();
    return p;
  }

  /** A "process": its own pool, identity, clock and leadership flag, sharing Redis and the call log. */
  async function proc(
    identity: string,
    entries: readonly ScheduledPeriodic[],
    calls: Call[],
    options: { clock?: Clock; leader?: boolean; onEnqueue?: () => void } = {},
  ) {
    const clock = options.clock ?? new ManualClock(T0);
    const state = { leader: options.leader ?? true };
    const logger = silent();
    const deps: PeriodicDeps = {
      entries,
      isLeader: () => state.leader,
      enqueue: async (entry, atMs) => {
        calls.push({ by: identity, entry, atMs, nowMs: clock.realMs() });
        options.onEnqueue?.();
        return { jid: `jid-${calls.length}` };
      },
      pool: await pool(),
      clock,
      identity,
      logger,
    };
    return { loop: new PeriodicLoop(deps), state, logger, clock, deps };
  }

  const entry = (expression: string, options = {}, worker: ScheduledPeriodic['worker'] = 'Report') =>
    schedulePeriodic({ expression, worker, options });
  const isoOf = (ms: number): string => new Date(ms).toISOString();
  const events = (logger: MemoryLogger): string[] => logger.lines.map((line) => (JSON.parse(line) as { event: string }).event);

  it('two processes that both believe they lead enqueue each (entry, occurrence) exactly once between them', async () => {
    const entries = [entry('* * * * *'), entry('*/20 * * * * *', { args: [1] })];
    const calls: Call[] = [];
    // b's clock is 700 ms behind a's; both pass each occurrence in the same step
    const a = await proc('host:1:aaa', entries, calls, { clock: new ManualClock(T0 + 31_000) });
    const b = await proc('host:2:bbb', entries, calls, { clock: new ManualClock(T0 + 30_300) });
    await Promise.all([a.loop.tick(), b.loop.tick()]);
    for (let step = 0; step < 60; step++) {
      (a.clock as ManualClock).advance(5_000);
      (b.clock as ManualClock).advance(5_000);
      // both at once, then in either order: the SET NX decides
      if (step % 3 === 0) await Promise.all([a.loop.tick(), b.loop.tick()]);
      else if (step % 3 === 1) await a.loop.tick().then(() => b.loop.tick());
      else await b.loop.tick().then(() => a.loop.tick());
    }
    (b.clock as ManualClock).advance(700); // b catches up with a's clock
    await b.loop.tick();

    const end = T0 + 31_000 + 60 * 5_000;
    const expected = [
      ...Array.from({ length: 5 }, (_, i) => `${entries[0]!.digest} ${isoOf(T0 + (i + 1) * 60_000)}`),
      ...Array.from({ length: 15 }, (_, i) => `${entries[1]!.digest} ${isoOf(T0 + 40_000 + i * 20_000)}`),
    ].filter((key) => Date.parse(key.split(' ')[1]!) <= end);
    const got = calls.map((c) => `${c.entry.digest} ${isoOf(c.atMs)}`);
    expect([...got].sort()).to.deep.equal([...expected].sort());
    expect(new Set(calls.map((c) => c.by)).size, 'both processes won some claims').to.equal(2);
  });

  it('claims an occurrence with SET periodic:<digest>:<sec> <identity> NX PX 5 min', async () => {
    const e = entry('* * * * *');
    const a = await proc('host:1:aaa', [e], []);
    await a.loop.tick();
    (a.clock as ManualClock).advance(60_000);
    await a.loop.tick();
    const key = periodicKey(e.digest, (T0 + 60_000) / 1000);
    expect(key).to.equal(`periodic:${e.digest}:${(T0 + 60_000) / 1000}`);
    expect(await redis.client.get(key)).to.equal('host:1:aaa');
    const ttl = await redis.client.pttl(key);
    expect(ttl).to.be.within(CLAIM_TTL_MS - 5_000, CLAIM_TTL_MS);
    expect(CLAIM_TTL_MS).to.be.greaterThan(MAX_CATCH_UP_MS);
  });

  it('a follower enqueues nothing and writes nothing, but keeps its tick aligned', async () => {
    const calls: Call[] = [];
    const f = await proc('host:3:fff', [entry('*/10 * * * * *')], calls, { leader: false });
    expect(await f.loop.tick()).to.equal(10_000);
    for (let i = 0; i < 12; i++) {
      (f.clock as ManualClock).advance(10_000);
      expect(await f.loop.tick()).to.equal(10_000);
    }
    expect(calls).to.deep.equal([]);
    expect(await redis.client.keys('periodic:*')).to.deep.equal([]);
  });

  it('passes the entry with its options to the enqueue function, which turns them into the job (docs/kiq-elixir.md bug 7)', async () => {
    const withWorker = entry('* * * * *', { args: [1, 'x'], queue: 'low', retry: 3, uniqueFor: 60_000, expiresIn: 5_000 }, Report);
    const byName = entry('* * * * *', { args: [{ id: 7 }], queue: 'ruby', retry: false }, 'RubyReport');
    const calls: Call[] = [];
    const a = await proc('host:1:aaa', [withWorker, byName], calls);
    await a.loop.tick();
    (a.clock as ManualClock).advance(60_000);
    await a.loop.tick();
    expect(calls.map((c) => [c.entry, c.atMs])).to.deep.equal([
      [withWorker, T0 + 60_000],
      [byName, T0 + 60_000],
    ]);

    // what the facade does with them: kiq.enqueue(worker, args, options) / kiq.enqueue({ class, args }, options)
    const payloads = calls.map(({ entry: e }) => {
      const { worker, args, options } = periodicJob(e);
      return buildJob(typeof worker === 'string' ? { class: worker, args } : { worker, args }, a.clock, options).payload;
    });
    expect(payloads[0]).to.include({ class: 'Report', queue: 'low', retry: 3, unique_for: 60, expires_in: 5 });
    expect(payloads[0]!.args).to.deep.equal([1, 'x']);
    expect(payloads[1]).to.include({ class: 'RubyReport', queue: 'ruby', retry: false });
    expect(payloads[1]!.args).to.deep.equal([{ id: 7 }]);
    // without options the worker's own apply
    const plain = periodicJob(entry('* * * * *', {}, Report));
    expect(buildJob({ worker: plain.worker as typeof Report, args: plain.args }, a.clock, plain.options).payload).to.include({ queue: 'reports', retry: 5 });
    expect(plain.args).to.deep.equal([]);
  });

  it('logs each enqueue with the class, expression, occurrence and jid', async () => {
    const a = await proc('host:1:aaa', [entry('0 * * * *')], []);
    await a.loop.tick();
    (a.clock as ManualClock).advance(3_600_000);
    await a.loop.tick();
    expect(JSON.parse(a.logger.lines.at(-1)!)).to.deep.equal({
      source: 'kiq',
      event: 'periodic_enqueue',
      class: 'Report',
      expression: '0 * * * *',
      scheduled_at: (T0 + 3_600_000) / 1000,
      jid: 'jid-1',
    });
  });

  describe('alignment (no drift)', () => {
    it('answers the time until the earliest next occurrence, landing exactly on it', async () => {
      const calls: Call[] = [];
      const a = await proc('host:1:aaa', [entry('* * * * *'), entry('*/20 * * * * *')], calls, { clock: new ManualClock(T0 + 12_345) });
      const clock = a.clock as ManualClock;
      const landed: string[] = [];
      let delay = await a.loop.tick();
      expect(delay).to.equal(20_000 - 12_345);
      for (let i = 0; i < 6; i++) {
        clock.advance(delay);
        landed.push(isoOf(clock.realMs()));
        delay = await a.loop.tick();
        expect(delay).to.equal(20_000);
      }
      expect(landed).to.deep.equal(['00:00:20', '00:00:40', '00:01:00', '00:01:20', '00:01:40', '00:02:00'].map((t) => `2026-01-01T${t}.000Z`));
      expect(calls.map((c) => isoOf(c.atMs))).to.deep.equal(
        ['00:00:20', '00:00:40', '00:01:00', '00:01:00', '00:01:20', '00:01:40', '00:02:00', '00:02:00'].map((t) => `2026-01-01T${t}.000Z`),
      );
    });

    it('counts from the schedule, not from when the tick ran: a late tick or a slow enqueue shortens the next wait', async () => {
      let slow = 0;
      const calls: Call[] = [];
      const clock = new ManualClock(T0);
      const a = await proc('host:1:aaa', [entry('*/20 * * * * *')], calls, { clock, onEnqueue: () => clock.advance(slow) });
      expect(await a.loop.tick()).to.equal(20_000);
      clock.advance(20_000 + 37); // woke 37 ms late
      expect(await a.loop.tick()).to.equal(20_000 - 37);
      slow = 250; // enqueueing took 250 ms
      clock.advance(20_000 - 37);
      expect(await a.loop.tick()).to.equal(20_000 - 250);
      expect(calls.map((c) => c.atMs)).to.deep.equal([T0 + 20_000, T0 + 40_000]);
    });

    it('an early wake-up (a timer a little ahead of the clock) enqueues nothing yet and waits the rest', async () => {
      const calls: Call[] = [];
      const a = await proc('host:1:aaa', [entry('* * * * *')], calls);
      expect(await a.loop.tick()).to.equal(60_000);
      (a.clock as ManualClock).advance(59_998);
      expect(await a.loop.tick()).to.equal(2);
      (a.clock as ManualClock).advance(2);
      expect(await a.loop.tick()).to.equal(60_000);
      expect(calls.map((c) => c.atMs)).to.deep.equal([T0 + 60_000]);
    });

    it(`waits at most ${MAX_TICK_MS / 1000} s, so a new leader is noticed; no entries wait that long too`, async () => {
      const a = await proc('host:1:aaa', [entry('@daily')], []);
      expect(await a.loop.tick()).to.equal(MAX_TICK_MS);
      const none = await proc('host:2:bbb', [], []);
      expect(await none.loop.tick()).to.equal(MAX_TICK_MS);
      expect(await none.loop.tick()).to.equal(MAX_TICK_MS);
    });
  });

  describe('no back-fill', () => {
    it('does not enqueue what fell before start: "* * * * *" first runs at the next minute (item 78 adapted: Kiq ran it at boot)', async () => {
      const calls: Call[] = [];
      const a = await proc('host:1:aaa', [entry('* * * * *')], calls, { clock: new ManualClock(T0 + 60_000) }); // exactly on an occurrence
      expect(await a.loop.tick()).to.equal(60_000);
      expect(calls).to.deep.equal([]);
      (a.clock as ManualClock).advance(60_000);
      await a.loop.tick();
      expect(calls.map((c) => c.atMs)).to.deep.equal([T0 + 120_000]);
    });

    it('does not enqueue again after a restart within the same minute (item 79), even with a clock behind', async () => {
      const e = entry('* * * * *');
      const calls: Call[] = [];
      const first = await proc('host:1:aaa', [e], calls, { clock: new ManualClock(T0 + 30_000) });
      await first.loop.tick();
      (first.clock as ManualClock).advance(30_000);
      await first.loop.tick(); // 00:01:00 enqueued
      // restarted at 00:01:10: starts after the occurrence
      const again = await proc('host:1:ccc', [e], calls, { clock: new ManualClock(T0 + 70_000) });
      await again.loop.tick();
      // restarted with a clock 0.5 s behind: it reaches 00:01:00 itself and loses the claim
      const behind = await proc('host:1:ddd', [e], calls, { clock: new ManualClock(T0 + 59_500) });
      await behind.loop.tick();
      (behind.clock as ManualClock).advance(1_000);
      await behind.loop.tick();
      expect(calls.map((c) => [c.by, c.atMs])).to.deep.equal([['host:1:aaa', T0 + 60_000]]);
    });

    it('a follower that becomes leader starts with the next occurrence, not the ones it followed', async () => {
      const calls: Call[] = [];
      const f = await proc('host:3:fff', [entry('* * * * *')], calls, { leader: false });
      await f.loop.tick();
      (f.clock as ManualClock).advance(60_000);
      await f.loop.tick(); // 00:01:00 passes while following
      (f.clock as ManualClock).advance(30_000);
      f.state.leader = true;
      expect(await f.loop.tick()).to.equal(30_000); // 00:01:30: nothing due
      (f.clock as ManualClock).advance(30_000);
      await f.loop.tick();
      expect(calls.map((c) => c.atMs)).to.deep.equal([T0 + 120_000]);
    });

    it(`a stalled leader enqueues only the occurrences of the last ${MAX_CATCH_UP_MS / 1000} s and logs the rest as missed`, async () => {
      const calls: Call[] = [];
      const a = await proc('host:1:aaa', [entry('* * * * *')], calls);
      await a.loop.tick();
      (a.clock as ManualClock).advance(5 * 60_000 + 30_000); // frozen until 00:05:30
      expect(await a.loop.tick()).to.equal(30_000);
      expect(calls.map((c) => isoOf(c.atMs))).to.deep.equal(['2026-01-01T00:04:00.000Z', '2026-01-01T00:05:00.000Z']);
      const missed = a.logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.event === 'periodic_missed');
      expect(missed).to.include({ class: 'Report', expression: '* * * * *', since: T0 / 1000, until: (T0 + 210_000) / 1000 });
    });
  });

  describe('failures', () => {
    it('a Redis error keeps the occurrence: logged once, retried after ERROR_DELAY_MS, enqueued once Redis answers', async () => {
      const calls: Call[] = [];
      const a = await proc('host:1:aaa', [entry('* * * * *'), entry('*/30 * * * * *')], calls);
      const good = a.deps.pool;
      const down = new ConnectionPool({ url: 'redis://127.0.0.1:1', options: { retryStrategy: () => null } }, 1, 'down');
      pools.push(down);
      await a.loop.tick();
      (a.deps as { pool: PeriodicDeps['pool'] }).pool = down;
      (a.clock as ManualClock).advance(60_000);
      expect(await a.loop.tick()).to.equal(ERROR_DELAY_MS);
      (a.clock as ManualClock).advance(ERROR_DELAY_MS);
      expect(await a.loop.tick()).to.equal(ERROR_DELAY_MS);
      expect(calls).to.deep.equal([]);
      (a.deps as { pool: PeriodicDeps['pool'] }).pool = good;
      (a.clock as ManualClock).advance(ERROR_DELAY_MS);
      expect(await a.loop.tick()).to.equal(28_000); // 00:01:02 → 00:01:30
      expect(calls.map((c) => `${c.entry.expression} ${isoOf(c.atMs)}`)).to.deep.equal([
        '* * * * * 2026-01-01T00:01:00.000Z',
        '*/30 * * * * * 2026-01-01T00:00:30.000Z',
        '*/30 * * * * * 2026-01-01T00:01:00.000Z',
      ]);
      expect(events(a.logger).filter((e) => e !== 'periodic_enqueue')).to.deep.equal(['periodic_failed', 'periodic_restored']);
    });

    it('an enqueue that throws is logged and not retried: at most once', async () => {
      const a = await proc('host:1:aaa', [entry('* * * * *')], []);
      let attempts = 0;
      (a.deps as { enqueue: PeriodicDeps['enqueue'] }).enqueue = async () => {
        attempts++;
        throw new Error('buffer full');
      };
      await a.loop.tick();
      (a.clock as ManualClock).advance(60_000);
      expect(await a.loop.tick()).to.equal(60_000);
      (a.clock as ManualClock).advance(1_000);
      await a.loop.tick();
      expect(attempts).to.equal(1);
      const failed = JSON.parse(a.logger.lines.at(-1)!) as Record<string, unknown>;
      expect(failed).to.include({ event: 'periodic_enqueue_failed', class: 'Report', error: 'Error: buffer full', scheduled_at: (T0 + 60_000) / 1000 });
    });
  });

  it('as the tick of two real Tickers on the system clock, enqueues every second of "* * * * * *" once, on time', async function () {
    this.timeout(10_000);
    const e = entry('* * * * * *');
    const calls: Call[] = [];
    const actors = await Promise.all(
      ['host:1:aaa', 'host:2:bbb'].map(async (identity) => {
        const { deps } = await proc(identity, [e], calls, { clock: systemClock });
        const actor = createActor(tickerMachine.provide({ actors: { tick: periodicTick(deps) } }), { input: { firstDelay: 0, retryDelay: ERROR_DELAY_MS } });
        actor.start();
        return actor;
      }),
    );
    try {
      await until(() => calls.length >= 3, 5_000, 'three occurrences');
    } finally {
      for (const actor of actors) actor.send({ type: 'shutdown' });
      await until(() => actors.every((actor) => actor.getSnapshot().status === 'done'), 5_000, 'the tickers to stop');
    }
    const times = calls.map((c) => c.atMs);
    expect(new Set(times).size, 'each second once').to.equal(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).to.equal(1_000);
    for (const c of calls) {
      expect(c.atMs % 1000).to.equal(0);
      expect(c.nowMs - c.atMs, 'enqueued on time').to.be.within(0, 500);
    }
  });
});
