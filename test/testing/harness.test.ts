import { expect } from 'chai';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { defineWorker, type Worker } from '../../src/index.js';
import { createHarness, HarnessClock, Tag, Testing, type Harness } from '../../src/testing/index.js';
import { useRedis } from '../support/redis.js';

/** Fails `failures` times per jid, then succeeds. */
function flaky(failures: number, options: Partial<Worker> = {}): Worker<[string]> {
  const seen = new Map<string, number>();
  return defineWorker({
    class: 'Flaky',
    ...options,
    perform(_args: [string], ctx) {
      const count = (seen.get(ctx.jid) ?? 0) + 1;
      seen.set(ctx.jid, count);
      if (count <= failures) throw new Error(`failure ${count}`);
    },
  });
}

const sent: string[] = [];
const Mailer = defineWorker({
  class: 'Mailer',
  perform([to]: [string]) {
    sent.push(to);
  },
});
const Broken = defineWorker({
  class: 'Broken',
  retry: 1,
  perform() {
    throw new Error('always');
  },
});

describe('kiq/testing createHarness (real Redis, simulated clock)', function () {
  // the whole file runs on simulated time: far below mocha's limit
  this.timeout(10_000);
  const redis = useRedis();
  let h: Harness | undefined;

  beforeEach(() => {
    sent.length = 0;
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('performs a job that succeeds and records it', async () => {
    h = await createHarness({ redisUrl: redis.url, queues: { default: 2 }, workers: [Mailer] });
    const job = await h.enqueue(Mailer, ['a@b.c']);
    await h.advance(0);
    expect(sent).to.deep.equal(['a@b.c']);
    expect(h.performed).to.have.length(1);
    expect(h.performed[0]).to.include({ class: 'Mailer', jid: job.jid, queue: 'default', attempt: 1, outcome: 'success', at: h.clock.realMs() });
    expect(h.performed[0]!.args).to.deep.equal(['a@b.c']);
    expect(await redis.client.llen('queue:default')).to.equal(0);
  });

  it('runs a retry only once advance passes its delay; three attempts, the last succeeds (retry: 3)', async () => {
    const Flaky = flaky(2, { retry: 3 });
    h = await createHarness({ redisUrl: redis.url, workers: [Flaky] });
    await h.enqueue(Flaky, ['x']);
    await h.advance(0);
    expect(h.performed.map((p) => [p.attempt, p.outcome])).to.deep.equal([[1, 'retry']]);
    const [retry] = await h.jobs('retry');
    // Sidekiq's first delay: 0⁴ + 15 s + rand(10) × 1 s
    const delay = retry!.at - h.clock.realMs();
    expect(delay).to.be.within(15_000, 24_000 + 1);
    // 10 s < the smallest first delay: nothing runs however long we would wait
    await h.advance(10_000);
    expect(h.performed).to.have.length(1);
    // the first retry is due within 24 s; the second (16 s + up to 18 s) may fall in the same window
    await h.advance(60_000);
    expect(h.performed.length).to.be.within(2, 3);
    await h.advance(60_000);
    expect(h.performed.map((p) => [p.attempt, p.outcome])).to.deep.equal([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'success'],
    ]);
    expect(h.performed.map((p) => (p.error as Error | undefined)?.message)).to.deep.equal(['failure 1', 'failure 2', undefined]);
    expect(await h.jobs('retry')).to.deep.equal([]);
    expect(await h.jobs('dead')).to.deep.equal([]);
  });

  it('moves a job whose retries are exhausted to the dead set (retry: 1)', async () => {
    h = await createHarness({ redisUrl: redis.url, workers: [Broken] });
    const job = await h.enqueue(Broken, []);
    await h.advance(0);
    await h.advance(60_000);
    expect(h.performed.map((p) => [p.attempt, p.outcome])).to.deep.equal([
      [1, 'retry'],
      [2, 'dead'],
    ]);
    const dead = await h.jobs('dead');
    expect(dead.map((d) => [d.job.jid, d.job.retry_count, d.job.error_message])).to.deep.equal([[job.jid, 1, 'always']]);
    expect(dead[0]!.at).to.be.closeTo(h.performed[1]!.at, 1);
  });

  it('runs a job scheduled in an hour only after advance(3_600_000)', async () => {
    h = await createHarness({ redisUrl: redis.url, workers: [Mailer] });
    const leadership: boolean[] = [];
    h.kiq.on('leader', ({ leader }) => leadership.push(leader));
    const started = h.clock.realMs();
    await h.enqueue(Mailer, ['later'], { in: 3_600_000 });
    await h.advance(0);
    expect((await h.jobs('schedule')).map((s) => s.at - started)).to.deep.equal([3_600_000]);
    await h.advance(3_599_999);
    expect(sent).to.deep.equal([]);
    await h.advance(1);
    expect(sent).to.deep.equal(['later']);
    expect(h.performed[0]!.at).to.equal(started + 3_600_000);
    expect(await h.jobs('schedule')).to.deep.equal([]);
    // the tree kept living through the hour: the lease renewed in time, never lapsed
    expect(h.actor('senator')!.hasTag(Tag.leader)).to.equal(true);
    expect(h.actor('senator')!.hasTag(Tag.idle)).to.equal(true);
    expect(h.actor('senator')!.context).to.include({ terms: 1 });
    expect(h.actor('senator')!.context.renewals).to.be.at.least(3_600 / 27);
    expect(leadership).to.deep.equal([]);
  });

  it('drain() runs retries and scheduled jobs to the end, jumping over long gaps', async () => {
    const Flaky = flaky(4, { retry: 25 });
    h = await createHarness({ redisUrl: redis.url, workers: [Flaky, Mailer] });
    const started = h.clock.realMs();
    await h.enqueue(Flaky, ['x']);
    await h.enqueue(Mailer, ['tomorrow'], { in: 86_400_000 });
    await h.enqueue(Mailer, ['next year'], { in: 365 * 86_400_000 });
    expect(await h.drain()).to.equal(6);
    expect(h.performed.filter((p) => p.class === 'Flaky').map((p) => p.outcome)).to.deep.equal(['retry', 'retry', 'retry', 'retry', 'success']);
    expect(sent).to.deep.equal(['tomorrow']);
    expect(h.clock.realMs() - started).to.equal(86_400_000);
    // beyond the window (30 days by default): still scheduled
    expect((await h.jobs('schedule')).map((s) => s.job.args)).to.deep.equal([['next year']]);
  });

  it('enqueues periodic jobs on their occurrences as time advances (the leader)', async () => {
    const start = Date.UTC(2026, 0, 1, 0, 0, 30);
    h = await createHarness({ redisUrl: redis.url, workers: [Mailer], periodics: [['*/5 * * * *', Mailer, { args: ['cron'] }]], startAt: start });
    await h.advance(15 * 60_000);
    expect(h.performed.map((p) => new Date(p.at).toISOString())).to.deep.equal([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:15:00.000Z',
    ]);
    expect(sent).to.deep.equal(['cron', 'cron', 'cron']);
  });

  it("actor('queue:default') is the queue's live snapshot", async () => {
    h = await createHarness({ redisUrl: redis.url, queues: { default: 3, mailers: 1 }, workers: [Mailer] });
    await h.enqueue(Mailer, ['a']);
    await h.enqueue(Mailer, ['b']);
    await h.advance(0);
    const queue = h.actor('queue:default')!;
    expect(queue.value).to.deep.equal({ active: 'running' });
    expect(queue.context).to.include({ name: 'default', limit: 3, running: 0, quiet: false, started: 2 });
    expect(h.actor('queue:mailers')!.context).to.include({ name: 'mailers', limit: 1, started: 0 });
    expect(h.actor('nope')).to.equal(undefined);
    await h.configure({ quiet: true });
    expect(h.actor('queue:default')!.context.quiet).to.equal(true);
    await h.enqueue(Mailer, ['c']);
    await h.advance(1_000);
    expect(sent).to.deep.equal(['a', 'b']);
    await h.configure({ quiet: false });
    expect(sent).to.deep.equal(['a', 'b', 'c']);
  });

  it('records the inspection trace: @xstate.actor for kiq → queue:default → fetcher', async () => {
    const seen: InspectionEvent[] = [];
    h = await createHarness({ redisUrl: redis.url, workers: [Mailer], inspect: (event) => seen.push(event) });
    const actors = h.trace.filter((e) => e.type === '@xstate.actor').map((e) => e.actorRef as AnyActorRef);
    const kiq = actors.find((ref) => ref.id === 'kiq' && ref._parent === undefined);
    const queue = actors.find((ref) => ref.id === 'queue:default' && ref._parent === kiq);
    const fetcher = actors.find((ref) => ref.id === 'fetcher' && ref._parent === queue);
    expect(kiq, 'kiq').to.not.equal(undefined);
    expect(queue, 'queue:default under kiq').to.not.equal(undefined);
    expect(fetcher, 'fetcher under queue:default').to.not.equal(undefined);
    expect(h.trace[0]).to.include({ type: '@xstate.actor' });
    expect((h.trace[0]!.actorRef as AnyActorRef).id).to.equal('kiq');
    // the given inspect observer gets the same events
    expect(seen.length).to.be.at.least(h.trace.length);
  });

  it('stop() ends the tree and rejects further advances', async () => {
    h = await createHarness({ redisUrl: redis.url, workers: [Mailer] });
    await h.stop();
    expect(h.kiq.state).to.equal('stopped');
    expect(await redis.client.smembers('processes')).to.deep.equal([]);
    let error: unknown;
    await h.advance(1).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
  });

  it('does not modify the given workers', async () => {
    const perform = Mailer.perform;
    h = await createHarness({ redisUrl: redis.url, workers: [Mailer] });
    expect(Mailer.perform).to.equal(perform);
    expect(Object.keys(Mailer)).to.deep.equal(['class', 'perform']);
  });
});

describe('kiq/testing createHarness: the README example', () => {
  const redis = useRedis();

  const Charge = defineWorker({
    class: 'Charge',
    retry: 2,
    perform([order]: [string], ctx) {
      if (order === 'declined') throw new Error('card declined'); // always
      if (order === 'flaky' && ctx.job.retry_count === undefined) throw new Error('timeout'); // first try only
    },
  });

  /** The README's example, as it is there (clearAll first). */
  async function chargesRetriesGivesUp(): Promise<void> {
    const h = await createHarness({ redisUrl: redis.url, workers: [Charge] });
    try {
      await h.kiq.clearAll(); // start empty: a second run would see the first run's dead job
      for (const order of ['ok', 'flaky', 'declined']) await h.enqueue(Charge, [order]);
      await h.advance(0); // everything due now has run
      const outcomes = (order: string) => h.performed.filter((p) => p.args[0] === order).map((p) => p.outcome);
      expect(outcomes('ok')).to.deep.equal(['success']);
      expect(outcomes('flaky')).to.deep.equal(['retry']);
      await h.advance(120_000); // Sidekiq's delays: 15–24 s, then 16–34 s
      expect(outcomes('flaky')).to.deep.equal(['retry', 'success']);
      expect(outcomes('declined')).to.deep.equal(['retry', 'retry', 'dead']);
      expect((await h.jobs('dead')).map((d) => d.job.args)).to.deep.equal([['declined']]);
    } finally {
      await h.stop();
    }
  }

  it('charges, retries, gives up', chargesRetriesGivesUp);

  it('passes a second run against the same database (the example clears it first)', async () => {
    await chargesRetriesGivesUp();
    await chargesRetriesGivesUp();
  });
});

describe('kiq/testing createHarness (sandbox mode)', () => {
  let h: Harness | undefined;
  beforeEach(() => {
    sent.length = 0;
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('performs due jobs on advance, scheduled ones once their time has come; drain runs everything', async () => {
    h = await createHarness({ mode: 'sandbox', redisUrl: 'redis://127.0.0.1:1', workers: [Mailer] });
    await h.enqueue(Mailer, ['now']);
    await h.enqueue(Mailer, ['in a minute'], { in: 60_000 });
    await h.enqueue(Mailer, ['in a day'], { in: 86_400_000 });
    Testing.assertEnqueued(h.kiq, { class: Mailer, args: ['now'] });
    await h.advance(0);
    expect(sent).to.deep.equal(['now']);
    expect((await h.jobs('schedule')).map((s) => s.job.args)).to.deep.equal([['in a minute'], ['in a day']]);
    await h.advance(60_000);
    expect(sent).to.deep.equal(['now', 'in a minute']);
    expect(await h.drain()).to.equal(1);
    expect(sent).to.deep.equal(['now', 'in a minute', 'in a day']);
    expect(h.performed.map((p) => [p.attempt, p.outcome])).to.deep.equal([
      [1, 'success'],
      [1, 'success'],
      [1, 'success'],
    ]);
    expect(h.actor('queue:default')).to.equal(undefined);
    expect(h.trace).to.deep.equal([]);
  });

  it('rejects with the error of a failing job (nothing retries in sandbox mode)', async () => {
    h = await createHarness({ mode: 'sandbox', workers: [Broken] });
    await h.enqueue(Broken, []);
    let error: unknown;
    await h.advance(0).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('always');
    expect(h.performed.map((p) => p.outcome)).to.deep.equal(['failed']);
  });
});

describe('HarnessClock', () => {
  it('is Kiq’s clock and xstate’s: timers fire in due order as time moves', () => {
    const clock = new HarnessClock(Date.UTC(2026, 0, 1));
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    const cancelled = clock.setTimeout(() => fired.push('x'), 50);
    clock.setTimeout(() => fired.push('a'), 100);
    clock.clearTimeout(cancelled);
    expect(clock.nextDue()).to.equal(100);
    clock.advance(150);
    expect(fired).to.deep.equal(['a']);
    expect(clock.realMs()).to.equal(Date.UTC(2026, 0, 1) + 150);
    expect(clock.monoMs()).to.equal(150);
    clock.set(200);
    expect(fired).to.deep.equal(['a', 'b']);
    expect(clock.pending).to.equal(0);
    expect(() => clock.set(100)).to.throw(RangeError);
  });
});
