import { expect } from 'chai';
import { Kiq, defineWorker, InvalidJobError, KiqConfigError, KiqNotRunningError } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';

const Mailer = defineWorker({
  class: 'Mailer',
  queue: 'mailers',
  retry: 5,
  perform(_args: [string, number]) {},
});

const Unique = defineWorker({
  class: 'UniqueJob',
  uniqueFor: 60_000,
  perform(_args: [number]) {},
});

describe('Kiq#enqueue (reliable push to real Redis)', () => {
  const redis = useRedis();
  let kiq: Kiq;

  beforeEach(async () => {
    kiq = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await kiq.start();
  });
  afterEach(() => kiq.stop());

  it('resolves with the job at once and flush() resolves once it is in its queue', async () => {
    const job = await kiq.enqueue(Mailer, ['a@b.c', 1]);
    expect(job.jid).to.match(/^[0-9a-f]{24}$/);
    expect(job).to.not.have.property('enqueued_at');
    await kiq.flush();
    const [raw] = await redis.client.lrange('queue:mailers', 0, -1);
    const stored = JSON.parse(raw!);
    expect(stored).to.include({ class: 'Mailer', queue: 'mailers', retry: 5, jid: job.jid });
    expect(stored.args).to.deep.equal(['a@b.c', 1]);
    expect(stored.enqueued_at).to.be.a('number').within(stored.created_at, stored.created_at + 5);
    expect(raw).to.match(/"enqueued_at":\d+\.\d+/);
    expect(await redis.client.smembers('queues')).to.deep.equal(['mailers']);
  });

  it('keeps queue order FIFO: the first job enqueued is at the right end', async () => {
    for (let i = 0; i < 5; i++) void kiq.enqueue({ class: 'Echo', args: [i] });
    await kiq.flush();
    const list = await redis.client.lrange('queue:default', 0, -1);
    expect(list.map((raw) => JSON.parse(raw).args[0])).to.deep.equal([4, 3, 2, 1, 0]);
  });

  it('schedules { in } jobs in the schedule set without enqueued_at, scored at the run time', async () => {
    const before = Date.now() / 1000;
    const job = await kiq.enqueue(Mailer, ['later', 2], { in: 30_000 });
    await kiq.flush();
    const [member, score] = await redis.client.zrange('schedule', '0', '-1', 'WITHSCORES');
    const stored = JSON.parse(member!);
    expect(stored.jid).to.equal(job.jid);
    expect(stored).to.not.have.property('enqueued_at');
    expect(stored).to.not.have.property('at');
    expect(Number(score)).to.be.within(before + 29, before + 31);
    expect(await redis.client.exists('queues')).to.equal(0);
  });

  it('pushes a job whose { at } is in the past immediately', async () => {
    const job = await kiq.enqueue(Mailer, ['now', 3], { at: new Date(Date.now() - 60_000) });
    await kiq.flush();
    expect(await redis.client.zcard('schedule')).to.equal(0);
    const [raw] = await redis.client.lrange('queue:mailers', 0, -1);
    expect(JSON.parse(raw!).jid).to.equal(job.jid);
  });

  it('round-trips queue names with - _ . : and unicode args', async () => {
    const queues = ['with-dash', 'with_underscore', 'with.dot', 'with:colon', 'ünï-cødé'];
    const args = ['héllo wörld', '日本語', '🎉 emoji', { 'ключ': ['значение', 1.5, null, []] }];
    for (const queue of queues) await kiq.enqueue({ class: 'Echo', queue, args });
    await kiq.flush();
    expect((await redis.client.smembers('queues')).sort()).to.deep.equal([...queues].sort());
    for (const queue of queues) {
      const [raw] = await redis.client.lrange(`queue:${queue}`, 0, -1);
      expect(JSON.parse(raw!).args).to.deep.equal(args);
    }
  });

  it('writes plain Sidekiq-style jobs with their extra keys untouched', async () => {
    await kiq.enqueue({ class: 'RubyWorker', args: [1], queue: 'ruby', tags: ['a'], wrapped: 'Inner' });
    await kiq.flush();
    const [raw] = await redis.client.lrange('queue:ruby', 0, -1);
    expect(JSON.parse(raw!)).to.include({ class: 'RubyWorker', wrapped: 'Inner', retry: true });
    expect(JSON.parse(raw!).tags).to.deep.equal(['a']);
  });

  it('confirm: true resolves after the write and reports duplicates of unique jobs with the holder', async () => {
    const first = await kiq.enqueue(Unique, [7], { confirm: true });
    const second = await kiq.enqueue(Unique, [7], { confirm: true });
    const other = await kiq.enqueue(Unique, [8], { confirm: true });
    expect(first.status).to.equal('enqueued');
    expect(second.status).to.equal('duplicate');
    expect(second.holder).to.equal(first.job.jid);
    expect(other.status).to.equal('enqueued');
    expect(await redis.client.llen('queue:default')).to.equal(2);
    const locks = await redis.client.keys('unique:*');
    expect(locks).to.have.length(2);
    const ttls = await Promise.all(locks.map((key) => redis.client.pttl(key)));
    for (const ttl of ttls) expect(ttl).to.be.within(55_000, 60_000);
    const holders = await Promise.all(locks.map((key) => redis.client.get(key)));
    expect(holders.sort()).to.deep.equal([first.job.jid, other.job.jid].sort());
  });

  it('confirm: true next to other options applies them (and only `confirm` is left out of the job); alone it copies nothing', async () => {
    const alone = await kiq.enqueue(Mailer, ['a@b.c', 1], { confirm: true });
    expect(alone).to.have.keys('status', 'job');
    expect(alone.status).to.equal('enqueued');
    const moved = await kiq.enqueue(Mailer, ['a@b.c', 2], { queue: 'urgent', confirm: true, jid: 'my-jid' });
    expect(moved).to.have.keys('status', 'job');
    expect(moved.job).to.include({ queue: 'urgent', jid: 'my-jid' });
    expect(moved.job).to.not.have.property('confirm');
    const later = await kiq.enqueue({ class: 'RubyWorker', args: [] }, { confirm: true, in: 60_000 });
    expect(later.status).to.equal('scheduled');
    expect(await redis.client.zcard('schedule')).to.equal(1);
    expect(JSON.parse((await redis.client.lrange('queue:urgent', 0, -1))[0]!)).to.include({ jid: 'my-jid' }).and.not.have.property('confirm');
    const refused = await kiq.enqueue(Mailer, ['a@b.c', 3], { confirm: true, bogus: 1 } as never).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(InvalidJobError);
    expect((refused as Error).message).to.match(/unknown option "bogus"/);
  });

  it('a scheduled unique job holds its lock for uniqueFor + delay', async () => {
    const receipt = await kiq.enqueue(Unique, [9], { in: 120_000, confirm: true });
    expect(receipt.status).to.equal('scheduled');
    const [lock] = await redis.client.keys('unique:*');
    expect(await redis.client.pttl(lock!)).to.be.within(175_000, 180_000);
  });

  it('expiring jobs get expires_at counted from the scheduled time', async () => {
    const job = await kiq.enqueue({ class: 'Exp', args: [] }, { expiresIn: 3_600_000, in: 7_200_000 });
    expect(job.expires_in).to.equal(3600);
    expect(job.expires_at! - job.created_at!).to.be.within(10_799.9, 10_800.1);
  });

  it('rejects invalid jobs with InvalidJobError and writes nothing', async () => {
    const error = await kiq.enqueue({ class: '', args: [] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidJobError);
    const fn = await kiq.enqueue({ class: 'X', args: [() => 1] as unknown[] }).catch((e: unknown) => e);
    expect(fn).to.be.instanceOf(InvalidJobError);
    await kiq.flush();
    expect(await redis.client.dbsize()).to.equal(0);
  });

  it('rejects enqueue after stop with KiqNotRunningError', async () => {
    await kiq.stop();
    const error = await kiq.enqueue({ class: 'X', args: [] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KiqNotRunningError);
  });

  it('flushes jobs enqueued before start once started', async () => {
    const early = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    const job = await early.enqueue({ class: 'Early', args: [1] });
    expect(early.buffered).to.equal(1);
    await early.start();
    await early.flush();
    await early.stop();
    const [raw] = await redis.client.lrange('queue:default', 0, -1);
    expect(JSON.parse(raw!).jid).to.equal(job.jid);
  });

  it('stop() writes everything still buffered (final flush)', async () => {
    const jobs = await Promise.all(Array.from({ length: 500 }, (_, i) => kiq.enqueue({ class: 'Bulk', args: [i] })));
    await kiq.stop();
    expect(await redis.client.llen('queue:default')).to.equal(jobs.length);
  });
});

describe('Kiq init hook', () => {
  it('cannot switch testMode: start() rejects with a KiqConfigError naming it', async () => {
    const kiq = new Kiq({ server: false, logger: silent(), init: (options) => ({ ...options, testMode: 'sandbox' }) });
    const error = await kiq.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KiqConfigError);
    expect((error as KiqConfigError).option).to.equal('testMode');
  });
});
