import { expect } from 'chai';
import { BufferFullError, Kiq, ScriptError, UnflushedJobsError } from '../../src/index.js';
import { useStoppableRedis } from '../support/stoppable-redis.js';
import { useRedis } from '../support/redis.js';
import { silent } from '../support/logger.js';

/** Resolves with the first emission of `event`, or rejects after `ms`. */
function nextEvent<T>(kiq: Kiq, event: 'push.outage' | 'push.restored' | 'error', ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const listener = (payload: unknown) => {
      clearTimeout(timer);
      kiq.off(event, listener);
      resolve(payload as T);
    };
    kiq.on(event, listener);
  });
}

describe('Reliable push through a Redis outage', function () {
  this.timeout(30_000);
  let kiq: Kiq;
  afterEach(async () => {
    await kiq?.stop().catch(() => undefined);
  });
  // after the hook above: Kiq stops while Redis still runs
  const redis = useStoppableRedis();

  it('keeps 1,000 jobs enqueued while Redis is down and writes each exactly once when it is back', async () => {
    kiq = new Kiq({ redisUrl: redis.server.url, server: false, flushMaxInterval: 300, logger: silent() });
    await kiq.start();
    const outage = nextEvent<{ waiting: number }>(kiq, 'push.outage');
    await redis.stop();
    const jobs = await Promise.all(Array.from({ length: 1000 }, (_, i) => kiq.enqueue({ class: 'Survivor', args: [i] })));
    await outage;
    expect(kiq.buffered).to.equal(1000);
    const restored = nextEvent(kiq, 'push.restored');
    await redis.restart();
    await kiq.flush();
    await restored;
    await redis.client.ping();
    const stored = (await redis.client.lrange('queue:default', 0, -1)).map((raw) => JSON.parse(raw).jid as string);
    expect(stored).to.have.length(1000);
    expect(new Set(stored).size).to.equal(1000);
    expect(new Set(stored)).to.deep.equal(new Set(jobs.map((job) => job.jid)));
    expect(kiq.buffered).to.equal(0);
  });

  it('rejects with BufferFullError past bufferLimit and loses none of the accepted jobs', async () => {
    kiq = new Kiq({ redisUrl: redis.server.url, server: false, bufferLimit: 10, flushMaxInterval: 200, logger: silent() });
    await kiq.start();
    await redis.stop();
    const accepted = await Promise.all(Array.from({ length: 10 }, (_, i) => kiq.enqueue({ class: 'Bounded', args: [i] })));
    const error = await kiq.enqueue({ class: 'Bounded', args: [10] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BufferFullError);
    expect((error as BufferFullError).code).to.equal('KIQ_ERR_BUFFER_FULL');
    await redis.restart();
    await kiq.flush();
    await redis.client.ping();
    const stored = (await redis.client.lrange('queue:default', 0, -1)).map((raw) => JSON.parse(raw).jid as string);
    expect(stored.sort()).to.deep.equal(accepted.map((job) => job.jid).sort());
  });

  it('stop() rejects with UnflushedJobsError carrying every job Redis never got', async () => {
    kiq = new Kiq({ redisUrl: redis.server.url, server: false, flushMaxInterval: 100, logger: silent() });
    await kiq.start();
    await redis.stop();
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => kiq.enqueue({ class: 'Stranded', args: [i] })));
    const error = await kiq.stop({ timeout: 300 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnflushedJobsError);
    const left = (error as UnflushedJobsError).jobs.map((json) => JSON.parse(json).jid as string);
    expect(left).to.deep.equal(jobs.map((job) => job.jid));
    await redis.restart();
  });
});

describe('Jobs Redis refuses', () => {
  const redis = useRedis();

  it('are reported through the error event with their JSON, and do not block other jobs', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await kiq.start();
    try {
      await redis.client.set('queue:broken', 'not a list');
      const reported = nextEvent<UnflushedJobsError>(kiq, 'error');
      const refused = kiq.enqueue({ class: 'X', queue: 'broken', args: [1] }, { confirm: true }).catch((e: unknown) => e);
      const fine = await kiq.enqueue({ class: 'Y', queue: 'fine', args: [2] }, { confirm: true });
      expect(fine.status).to.equal('enqueued');
      const error = await reported;
      expect(error).to.be.instanceOf(UnflushedJobsError);
      expect(JSON.parse(error.jobs[0]!).class).to.equal('X');
      expect(await refused).to.be.instanceOf(ScriptError);
      expect(await redis.client.llen('queue:fine')).to.equal(1);
      await kiq.flush();
      expect(kiq.buffered).to.equal(0);
    } finally {
      await kiq.stop();
    }
  });
});

describe('Several Kiq instances in one process', () => {
  const a = useRedis();
  const b = useRedis();

  it('run side by side, each with its own Redis, identity and actor system', async () => {
    const one = new Kiq({ redisUrl: a.url, server: false, identity: 'host:1:aaaaaaaaaaaa', logger: silent() });
    const two = new Kiq({ redisUrl: b.url, server: false, identity: 'host:1:bbbbbbbbbbbb', logger: silent() });
    await Promise.all([one.start(), two.start()]);
    await one.enqueue({ class: 'One', args: [1] });
    await two.enqueue({ class: 'Two', args: [2] });
    await Promise.all([one.flush(), two.flush()]);
    expect(JSON.parse((await a.client.lrange('queue:default', 0, -1))[0]!).class).to.equal('One');
    expect(JSON.parse((await b.client.lrange('queue:default', 0, -1))[0]!).class).to.equal('Two');
    expect(await a.client.llen('queue:default')).to.equal(1);
    await one.stop();
    expect(one.state).to.equal('stopped');
    await two.enqueue({ class: 'Two', args: [3] });
    await two.flush();
    expect(await b.client.llen('queue:default')).to.equal(2);
    await two.stop();
  });
});

describe('Kiq#clearAll', () => {
  const redis = useRedis();

  it('empties queues, private queues, schedule, retry, dead, unique locks and counters, but not live process keys, and logs a warning', async () => {
    const logger = silent();
    const kiq = new Kiq({ redisUrl: redis.url, server: false, logger });
    await kiq.start();
    try {
      await kiq.enqueue({ class: 'A', queue: 'q-1', args: [] });
      await kiq.enqueue({ class: 'B', args: [] }, { in: 60_000 });
      await kiq.enqueue({ class: 'C', args: [] }, { uniqueFor: 60_000 });
      await kiq.flush();
      await redis.client.lpush('queue:sq|host:1:abc|q-1', '{"class":"A","args":[]}');
      await redis.client.zadd('retry', 1, 'r');
      await redis.client.zadd('dead', 1, 'd');
      await redis.client.set('stat:processed', 3);
      await redis.client.sadd('processes', 'host:1:abc');
      await redis.client.hset('host:1:abc', 'beat', '1.0');
      expect(await redis.client.dbsize()).to.be.greaterThan(8);
      const before = await redis.client.dbsize();
      expect(await kiq.clearAll()).to.equal(before - 2);
      expect((await redis.client.keys('*')).sort()).to.deep.equal(['host:1:abc', 'processes']);
      const warned = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.event === 'cleared_all');
      expect(warned).to.include({ source: 'kiq', keys: before - 2 });
    } finally {
      await kiq.stop();
    }
  });

  it('clear() is the deprecated old name: it deletes a Ruby queue just the same', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await kiq.start();
    try {
      await redis.client.multi().sadd('queues', 'ruby').lpush('queue:ruby', '{"class":"HardWorker","args":[]}').exec();
      await kiq.clear();
      expect(await redis.client.exists('queue:ruby', 'queues')).to.equal(0);
    } finally {
      await kiq.stop();
    }
  });
});
