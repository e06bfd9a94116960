/**
 * The Admin class on real Redis: options checked at construction, stats and
 * history, queues (latency in both timestamp formats, paused flag, jobs
 * paged in both orders, find, delete one, clear), pause/unpause in Sidekiq
 * Pro's layout, signals to live processes, execution metrics as Kiq and
 * Sidekiq 7/8 write them, INFO, and the typed errors of an
 * unreachable Redis, a closed Admin and bad arguments. Data is written as
 * Sidekiq writes it, straight into Redis.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Admin, MAX_METRICS_MINUTES } from '../../src/admin/index.js';
import { KiqConfigError } from '../../src/errors.js';
import { HISTOGRAM_BUCKETS } from '../../src/server/metrics/histogram.js';
import { writeMetrics } from '../../src/server/metrics/write-metrics.js';
import { useRedis } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { until } from '../support/wait.js';
import { rejection } from './support.js';

/** 2026-12-03T12:00:00Z: the injected now. */
const NOW_MS = Date.UTC(2026, 11, 3, 12);
const NOW = NOW_MS / 1000;

/** A queued job as Sidekiq 6.4/7.x writes it (float seconds), or 8.x (integer ms). */
function job(jid: string, enqueuedAt: number | undefined, queue = 'default', cls = 'HardWorker'): string {
  const at = enqueuedAt === undefined ? '' : `,"enqueued_at":${enqueuedAt}`;
  return `{"retry":true,"queue":"${queue}","class":"${cls}","args":[1,"two"],"jid":"${jid}","created_at":1796285644.0025842${at}}`;
}

describe('Admin', () => {
  const redis = useRedis();
  let admin: Admin;
  beforeEach(() => {
    admin = new Admin({ redisUrl: redis.url, now: () => NOW_MS });
  });
  afterEach(() => admin.close());

  describe('options', () => {
    it('rejects unknown keys, bad URLs, a client together with a URL and bad trims with KiqConfigError, before connecting', () => {
      const bad: [unknown, RegExp][] = [
        [{ redisURL: 'redis://x' }, /^expected option "redisURL" to be a known Admin option \(did you mean redisUrl\?\), got: "redis:\/\/x"$/],
        [{ deadline: 1 }, /^expected option "deadline" to be a known Admin option \(one of redisUrl, redis, client, deadLimit, deadTimeoutMs, now\), got: 1$/],
        [{ redisUrl: 'http://x' }, /expected option "redisUrl" to be a redis:\/\/ or rediss:\/\/ URL, got: "http:\/\/x"/],
        [{ redisUrl: 'redis://:secret@h:1', client: redis.client }, /expected option "client" to be given alone/],
        [{ deadLimit: 0 }, /expected option "deadLimit" to be an integer >= 1, got: 0/],
        [{ client: { get() {} } }, /expected option "client" to be an ioredis Redis client/],
        [{ now: 5 }, /expected option "now" to be a function/],
      ];
      for (const [options, message] of bad) expect(() => new Admin(options as never), JSON.stringify(options)).to.throw(KiqConfigError, message);
      expect(() => new Admin({ redisUrl: 'redis://:hunter2@h:1/0', client: redis.client })).to.throw().with.property('message').that.does.not.include('hunter2');
    });

    it('without redisUrl, uses REDIS_URL', async () => {
      const saved = process.env.REDIS_URL;
      process.env.REDIS_URL = redis.url;
      const fromEnv = new Admin();
      try {
        await redis.client.set('stat:failed', '3');
        expect((await fromEnv.stats()).failed).to.equal(3);
      } finally {
        if (saved === undefined) delete process.env.REDIS_URL;
        else process.env.REDIS_URL = saved;
        await fromEnv.close();
      }
    });

    it('uses a given client and leaves it open on close', async () => {
      const shared = new Admin({ client: redis.client });
      await redis.client.set('stat:processed', '7');
      expect((await shared.stats()).processed).to.equal(7);
      await shared.close();
      expect(await redis.client.ping()).to.equal('PONG');
    });
  });

  it('stats: the dashboard numbers as Sidekiq::Stats computes them; history per UTC day, newest first', async () => {
    await redis.client
      .multi()
      .set('stat:processed', '14')
      .set('stat:failed', '2')
      .set('stat:processed:2026-12-03', '9')
      .set('stat:failed:2026-12-03', '1')
      .set('stat:processed:2026-12-01', '5')
      .sadd('queues', 'default', 'low')
      .lpush('queue:default', job('a1', NOW - 30), job('a2', NOW - 10))
      .lpush('queue:low', job('b1', NOW_MS - 4_000, 'low'))
      .zadd('schedule', NOW + 60, job('s1', undefined))
      .zadd('retry', NOW + 60, job('r1', NOW), NOW + 70, job('r2', NOW))
      .zadd('dead', NOW, job('d1', NOW))
      .sadd('processes', 'h:1:aaa', 'h:2:bbb', 'h:3:gone')
      .hset('h:1:aaa', 'info', '{}', 'busy', '2')
      .hset('h:2:bbb', 'info', '{}', 'busy', '1')
      .exec();
    expect(await admin.stats()).to.deep.equal({
      processed: 14,
      failed: 2,
      busy: 3,
      enqueued: 3,
      scheduled: 1,
      retries: 2,
      dead: 1,
      processes: 3, // as Sidekiq: a stale member counts until a cleanup removes it
      defaultLatency: 30,
    });
    expect(await admin.history(3)).to.deep.equal([
      { date: '2026-12-03', processed: 9, failed: 1 },
      { date: '2026-12-02', processed: 0, failed: 0 },
      { date: '2026-12-01', processed: 5, failed: 0 },
    ]);
    expect((await admin.history(2, { startDate: '2026-12-01' })).map((d) => d.date)).to.deep.equal(['2026-12-01', '2026-11-30']);
    expect((await rejection(admin.history(0))).kind).to.equal('invalid-argument');
    expect((await rejection(admin.history(1826))).message).to.equal('history: days must be an integer from 1 to 1825, got 1826');
    expect((await rejection(admin.history(1, { startDate: '2026-02-30' }))).message).to.match(/startDate must be a date as YYYY-MM-DD, got "2026-02-30"/);
  });

  it('queues: size, latency from float seconds and from 8.x integer ms, paused flag; pause and unpause in the paused SET', async () => {
    await redis.client
      .multi()
      .sadd('queues', 'default', 'eight', 'empty', 'odd')
      .lpush('queue:default', job('a1', NOW - 12.5), job('a2', NOW))
      .lpush('queue:eight', job('e1', NOW_MS - 1_500, 'eight'))
      .lpush('queue:odd', 'not json', job('o2', undefined, 'odd'))
      .exec();
    expect(await admin.pauseQueue('eight')).to.equal(true);
    expect(await admin.pauseQueue('eight')).to.equal(false);
    expect(await redis.client.smembers('paused')).to.deep.equal(['eight']);
    expect(await admin.queues()).to.deep.equal([
      { name: 'default', size: 2, latency: 12.5, paused: false },
      { name: 'eight', size: 1, latency: 1.5, paused: true },
      { name: 'empty', size: 0, latency: 0, paused: false },
      { name: 'odd', size: 2, latency: 0, paused: false }, // oldest is not JSON: 0, as Sidekiq
    ]);
    expect(await admin.pausedQueues()).to.deep.equal(['eight']);
    expect(await admin.queue('nowhere')).to.deep.equal({ name: 'nowhere', size: 0, latency: 0, paused: false });
    expect(await admin.unpauseQueue('eight')).to.equal(true);
    expect(await admin.unpauseQueue('eight')).to.equal(false);
    expect(await redis.client.exists('paused')).to.equal(0);
    expect((await rejection(admin.pauseQueue(''))).message).to.equal('pause queue: expected a queue name, got ""');
  });

  it("a queue's jobs: paged newest first or oldest first, found by jid, one deleted by its exact bytes, the queue cleared", async () => {
    const members = Array.from({ length: 7 }, (_, i) => job(`j${i}`, NOW - 100 + i)); // j0 pushed first: the oldest
    await redis.client.sadd('queues', 'default');
    await redis.client.lpush('queue:default', ...members);
    const newest = await admin.queueJobs('default', { limit: 3 });
    expect(newest.total).to.equal(7);
    expect(newest.jobs.map((j) => j.jid)).to.deep.equal(['j6', 'j5', 'j4']);
    expect(newest.jobs[0]).to.deep.include({ queue: 'default', member: members[6], enqueuedAt: NOW - 94 });
    expect((await admin.queueJobs('default', { offset: 6, limit: 3 })).jobs.map((j) => j.jid)).to.deep.equal(['j0']);
    expect((await admin.queueJobs('default', { limit: 3, order: 'oldest' })).jobs.map((j) => j.jid)).to.deep.equal(['j0', 'j1', 'j2']);
    expect((await admin.queueJobs('default', { offset: 5, limit: 3, order: 'oldest' })).jobs.map((j) => j.jid)).to.deep.equal(['j5', 'j6']);
    expect((await rejection(admin.queueJobs('default', { limit: 0 }))).message).to.equal('limit must be an integer >= 1, got 0');

    const [found] = await admin.findQueueJobs('default', 'j3');
    expect(found!.member).to.equal(members[3]);
    expect(await admin.findQueueJobs('default', 'j')).to.deep.equal([]); // a jid, not a substring
    expect(await admin.deleteQueueJob(found!)).to.equal(true);
    expect(await admin.deleteQueueJob('default', members[3]!)).to.equal(false);
    expect((await redis.client.lrange('queue:default', 0, -1)).map((m) => JSON.parse(m).jid)).to.deep.equal(['j6', 'j5', 'j4', 'j2', 'j1', 'j0']);

    expect(await admin.clearQueue('default')).to.deep.equal({ existed: true, size: 6 });
    expect(await admin.clearQueue('default')).to.deep.equal({ existed: false, size: 0 });
    expect(await redis.client.exists('queue:default', 'queues')).to.equal(0);
  });

  it('signals: quiet/stop/dump push TSTP/TERM/TTIN to <identity>-signals with a 60 s TTL; identities by unique prefix; unknown or ambiguous ones send nothing', async () => {
    await redis.client
      .multi()
      .sadd('processes', 'web:1:aaa', 'web:12:bbb', 'expired:1:ccc')
      .hset('web:1:aaa', 'info', '{}')
      .hset('web:12:bbb', 'info', '{}')
      .exec();
    expect(await admin.quiet('web:1:')).to.deep.equal(['web:1:aaa']);
    expect(await admin.dump(['web:12'])).to.deep.equal(['web:12:bbb']);
    expect(await admin.stop('web:12:bbb')).to.deep.equal(['web:12:bbb']);
    expect(await redis.client.lrange('web:1:aaa-signals', 0, -1)).to.deep.equal(['TSTP']);
    expect(await redis.client.lrange('web:12:bbb-signals', 0, -1)).to.deep.equal(['TERM', 'TTIN']); // RPOP takes TTIN first
    expect(await redis.client.ttl('web:12:bbb-signals')).to.be.within(55, 60);

    const ambiguous = await rejection(admin.quiet('web:1'));
    expect(ambiguous).to.deep.include({ kind: 'ambiguous', code: 'KIQ_ERR_ADMIN' });
    expect(ambiguous.message).to.equal("'web:1' names 2 processes (web:12:bbb, web:1:aaa); give the full identity");
    const missing = await rejection(admin.stop(['web:1:aaa', 'expired:1:ccc']));
    expect(missing.kind).to.equal('not-found');
    expect(missing.message).to.equal("no live process 'expired:1:ccc' (live: web:12:bbb, web:1:aaa)");
    expect(await redis.client.llen('web:1:aaa-signals'), 'nothing sent when one ref is bad').to.equal(1);
    expect((await rejection(admin.quiet([]))).kind).to.equal('invalid-argument');

    expect(await admin.quietAll()).to.deep.equal(['web:12:bbb', 'web:1:aaa']);
    expect(await redis.client.lrange('web:1:aaa-signals', 0, -1)).to.deep.equal(['TSTP', 'TSTP']);
    expect(await redis.client.exists('expired:1:ccc-signals')).to.equal(0);
  });

  it('metrics: per class from the buckets Kiq writes in every layout, each job counted once; beside Sidekiq 7 or 8 their jobs added; over 8 h from the 10-minute buckets', async () => {
    const snapshot = (processed: number, failed: number, ms: number) =>
      new Map([['HardWorker', { processed, failed, timed: processed - failed, ms, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) }]]);
    await writeMetrics(redis.client, snapshot(10, 2, 800), NOW_MS - 5 * 60_000); // a Kiq server: 7.x, 8.x and 10-minute hashes
    await writeMetrics(redis.client, snapshot(4, 0, 40), NOW_MS - 90 * 60_000); // outside the last hour
    await writeMetrics(redis.client, snapshot(1, 1, 0), NOW_MS - 2 * 86_400_000); // two days ago
    expect(await admin.metrics()).to.deep.equal([{ class: 'HardWorker', processed: 10, failed: 2, totalMs: 800, meanMs: 100 }]);
    // beside them, a Sidekiq 7.3 server (7.x layout only) and a Sidekiq 8.1 one (8.x only), in the same minute
    const t = new Date(NOW_MS - 5 * 60_000);
    await redis.client.hincrby(`j|20261203|${t.getUTCHours()}:${t.getUTCMinutes()}`, 'HardWorker|p', 5);
    await redis.client.hset(`j|261203|${t.getUTCHours()}:${String(t.getUTCMinutes()).padStart(2, '0')}`, { 'RubyJob|p': '3', 'RubyJob|ms': '30' });
    expect(await admin.metrics({ minutes: 60 })).to.deep.equal([
      { class: 'HardWorker', processed: 15, failed: 2, totalMs: 800, meanMs: 800 / 13 },
      { class: 'RubyJob', processed: 3, failed: 0, totalMs: 30, meanMs: 10 },
    ]);
    expect((await admin.metrics({ minutes: 480 })).find((m) => m.class === 'HardWorker')).to.include({ processed: 19, totalMs: 840 });
    expect((await admin.metrics({ minutes: 24 * 60 })).find((m) => m.class === 'HardWorker')).to.include({ processed: 14, failed: 2 }); // 10-minute buckets: 8.x and Kiq only
    expect((await admin.metrics({ minutes: MAX_METRICS_MINUTES })).find((m) => m.class === 'HardWorker')).to.include({ processed: 15, failed: 3 });
    for (const minutes of [0, 4321, 1.5]) expect((await rejection(admin.metrics({ minutes }))).kind, String(minutes)).to.equal('invalid-argument');
  });

  it('redisInfo: the version, clients and memory of the server', async () => {
    const info = await admin.redisInfo();
    expect(info.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(info.connectedClients).to.be.at.least(1);
    expect(info.usedMemory).to.be.above(0);
    expect(info.usedMemoryHuman).to.match(/[\d.]+[KMG]?$/);
    expect(info.fields.redis_version).to.equal(info.version);
  });

  it('an unreachable Redis rejects with AdminError kind "redis" naming the URL without its password; a closed Admin with kind "closed"', async () => {
    const down = new Admin({ redisUrl: 'redis://:hunter2@127.0.0.1:1/0', redis: { retryStrategy: () => null } });
    const error = await rejection(down.stats());
    expect(error.kind).to.equal('redis');
    expect(error.message).to.match(/^stats: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: connect ECONNREFUSED/);
    expect(error.message).not.to.include('hunter2');
    await down.close();
    const closed = await rejection(down.queues());
    expect(closed).to.deep.include({ kind: 'closed', message: 'queues: this Admin is closed' });
    await down.close(); // idempotent
  });

  it('an outage rejects calls with kind "redis" (nothing hangs); once Redis is back, the same Admin works again', async function () {
    this.timeout(60_000);
    let server = await startRedisServer();
    const { port } = server;
    const survivor = new Admin({ redisUrl: `${server.url}/0` });
    try {
      await survivor.pauseQueue('q');
      await server.stop();
      const started = Date.now();
      const error = await rejection(survivor.queues());
      expect(error.kind).to.equal('redis');
      expect(error.message).to.match(/^queues: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0: /);
      expect(Date.now() - started, 'fails fast instead of waiting for Redis').to.be.below(10_000);
      server = await startRedisServer(port);
      // ioredis reconnects with backoff: the first call after its reconnection succeeds
      await until(() => survivor.pausedQueues().then(() => true, () => false), 20_000, 'the admin to reconnect', 100);
      expect(await survivor.pauseQueue('q'), 'a fresh server: q was not paused').to.equal(true);
    } finally {
      await survivor.close();
      await server.stop();
    }
  });

  it('a command Redis refuses (WRONGTYPE) rejects with kind "redis" and the reply as cause', async () => {
    await redis.client.set('retry', 'not a zset');
    const error = await rejection(admin.retries.list());
    expect(error.kind).to.equal('redis');
    expect(error.message).to.match(/^retry list: WRONGTYPE/);
    expect(error.cause).to.be.instanceOf(Error);
  });

  it('opens no connection at construction: the first call connects, named kiq:admin', async () => {
    const lazy = new Admin({ redisUrl: redis.url });
    const probe = new Redis(redis.url);
    try {
      const before = (await probe.client('LIST')) as string;
      expect(before).not.to.include('name=kiq:admin');
      await lazy.stats();
      expect((await probe.client('LIST')) as string).to.include('name=kiq:admin');
    } finally {
      await lazy.close();
      await probe.quit();
    }
  });
});
