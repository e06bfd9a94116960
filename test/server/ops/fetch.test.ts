import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ScriptError } from '../../../src/errors.js';
import { PAUSED, SUPER_PROCESSES, privateQueueKey, queueKey, superQueuesKey } from '../../../src/redis/keys.js';
import { writeBeat } from '../../support/write-beat.js';
import { blockForJob, fetchBatch, fetchJobs } from '../../../src/server/ops/fetch.js';
import type { RawJob } from '../../../src/job/raw.js';
import { useRedis } from '../../support/redis.js';
import { ConnectionPool, whenReady } from '../../../src/redis/connections.js';
import { IDENTITY, NOW, jobJson } from './support.js';

describe('server ops: fetch', () => {
  const redis = useRedis();
  const privateList = privateQueueKey(IDENTITY, 'default');

  beforeEach(() => writeBeat(redis.client, IDENTITY, NOW));

  describe('fetchJobs', () => {
    it('moves up to max jobs into the private list and returns them oldest first', async () => {
      const [a, b, c] = [jobJson('a'), jobJson('b'), jobJson('c')];
      for (const job of [a, b, c]) await redis.client.lpush(queueKey('default'), job);
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 2)).to.deep.equal([a, b]);
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([c]);
      // Pro layout: LMOVE RIGHT LEFT, so the oldest fetched is the rightmost.
      expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([b, a]);
    });

    it('returns the strings byte-for-byte, whatever they hold', async () => {
      const odd = [
        '{"class":"A","args":[[],{"a":[]},12345678901234567],"jid":"x","queue":"default"}',
        '{"class":"Ünïcødé","args":["日本語","\\u00e9","\\"enqueued_at\\":"],"queue":"default"}',
        'not json at all',
        '  {"spaced" : true }  ',
      ];
      for (const job of odd) await redis.client.lpush(queueKey('default'), job);
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 10)).to.deep.equal(odd);
    });

    it('registers the identity and its private list, even when the queue is empty', async () => {
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 5)).to.deep.equal([]);
      expect(await redis.client.smembers(SUPER_PROCESSES)).to.deep.equal([IDENTITY]);
      expect(await redis.client.smembers(superQueuesKey(IDENTITY))).to.deep.equal([privateList]);
    });

    it('registers again on the next call after the registry was lost', async () => {
      await fetchJobs(redis.client, IDENTITY, 'default', 1);
      await redis.client.del(SUPER_PROCESSES, superQueuesKey(IDENTITY));
      await fetchJobs(redis.client, IDENTITY, 'default', 1);
      expect(await redis.client.sismember(SUPER_PROCESSES, IDENTITY)).to.equal(1);
      expect(await redis.client.smembers(superQueuesKey(IDENTITY))).to.deep.equal([privateList]);
    });

    it('names the private list after queues with dashes, dots, colons and pipes', async () => {
      for (const queue of ['with-dash', 'with.dot', 'with:colon', 'with|pipe']) {
        await redis.client.lpush(queueKey(queue), jobJson(queue, queue));
        expect(await fetchJobs(redis.client, IDENTITY, queue, 1)).to.deep.equal([jobJson(queue, queue)]);
        expect(await redis.client.lrange(`queue:sq|${IDENTITY}|${queue}`, 0, -1)).to.deep.equal([jobJson(queue, queue)]);
      }
    });

    it('refuses to fetch, and registers nothing, while the heartbeat hash is missing', async () => {
      await redis.client.del(IDENTITY);
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      const error = await fetchJobs(redis.client, IDENTITY, 'default', 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ScriptError);
      expect((error as Error).message).to.match(/heartbeat hash .* does not exist/);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
      expect(await redis.client.exists(SUPER_PROCESSES, superQueuesKey(IDENTITY), privateList)).to.equal(0);
    });

    it('rejects an infinite max, which would drain the whole queue', async () => {
      const error = await fetchJobs(redis.client, IDENTITY, 'default', Number.POSITIVE_INFINITY).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RangeError);
    });

    it('asks Redis nothing when max is below 1', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 0)).to.deep.equal([]);
      expect(await redis.client.exists(SUPER_PROCESSES)).to.equal(0);
    });
  });

  describe('fetchJobs carrying acks', () => {
    /** Acks for one call, counting how often Redis was said to have them. */
    const acksOf = (...raws: (string | Buffer)[]) => {
      const acks = { raws, calls: 0, applied: () => void acks.calls++ };
      return acks;
    };
    const evalCalls = async (): Promise<number> => {
      const stats = await redis.client.info('commandstats');
      let calls = 0;
      for (const match of stats.matchAll(/^cmdstat_(evalsha|eval|lrem):calls=(\d+)/gm)) calls += Number(match[2]);
      return calls;
    };

    it('LREMs the finished entries first, then fetches, in one script call', async () => {
      const [done1, done2, running] = [jobJson('done1'), jobJson('done2'), jobJson('running')];
      await fetchJobs(redis.client, IDENTITY, 'default', 1); // loads the script (the queue is empty)
      await redis.client.lpush(privateList, done1, running, done2);
      await redis.client.lpush(queueKey('default'), jobJson('next'));
      await redis.client.config('RESETSTAT');
      const acks = acksOf(done1, done2);
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 5, acks)).to.deep.equal([jobJson('next')]);
      expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('next'), running]);
      expect(acks.calls).to.equal(1);
      // one EVALSHA; the LREMs ran inside it (commandstats counts them as lrem calls)
      expect((await redis.client.info('commandstats')).match(/^cmdstat_evalsha:calls=(\d+)/m)?.[1]).to.equal('1');
      expect(await evalCalls()).to.equal(1 + 2);
    });

    it('removes one copy per ack, from the oldest end, byte-exact (bytes too)', async () => {
      const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
      await redis.client.lpush(privateList, jobJson('same'), bytes, jobJson('same'));
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      const acks = acksOf(jobJson('same'), bytes, JSON.stringify(JSON.parse(jobJson('same')), null, 1));
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 1, acks)).to.deep.equal([jobJson('a')]);
      expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('a'), jobJson('same')]);
    });

    it('applies the acks of a paused queue (and fetches nothing)', async () => {
      await redis.client.lpush(privateList, jobJson('done'));
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      await redis.client.sadd(PAUSED, 'default');
      const acks = acksOf(jobJson('done'));
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 5, acks)).to.deep.equal([]);
      expect(acks.calls).to.equal(1);
      expect(await redis.client.exists(privateList)).to.equal(0);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
      await redis.client.srem(PAUSED, 'default');
    });

    it('applies the acks when the heartbeat is missing, then rejects as without them', async () => {
      await redis.client.lpush(privateList, jobJson('done'));
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      await redis.client.del(IDENTITY);
      const acks = acksOf(jobJson('done'));
      const error = await fetchJobs(redis.client, IDENTITY, 'default', 5, acks).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ScriptError);
      expect(acks.calls).to.equal(1);
      expect(await redis.client.exists(privateList)).to.equal(0);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
      expect(await redis.client.exists(SUPER_PROCESSES, superQueuesKey(IDENTITY))).to.equal(0);
    });

    it('sends the acks when max is below 1, fetching nothing', async () => {
      await redis.client.lpush(privateList, jobJson('done'));
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      const acks = acksOf(jobJson('done'));
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 0, acks)).to.deep.equal([]);
      expect(acks.calls).to.equal(1);
      expect(await redis.client.exists(privateList)).to.equal(0);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
    });
  });

  describe('paused queues (SISMEMBER paused <queue>, Sidekiq Pro layout)', () => {
    let blocking: Redis;
    beforeEach(() => {
      blocking = new Redis(redis.url);
    });
    afterEach(() => blocking.quit());

    it('fetchJobs moves nothing from a paused queue (still registers), and moves again once unpaused', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      await redis.client.lpush(queueKey('other'), jobJson('b'));
      await redis.client.sadd(PAUSED, 'default');
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 5)).to.deep.equal([]);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
      expect(await redis.client.exists(privateList)).to.equal(0);
      expect(await redis.client.sismember(superQueuesKey(IDENTITY), privateList)).to.equal(1);
      // only that queue
      expect(await fetchJobs(redis.client, IDENTITY, 'other', 5)).to.deep.equal([jobJson('b')]);
      await redis.client.srem(PAUSED, 'default');
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 5)).to.deep.equal([jobJson('a')]);
    });

    it('fetchBatch says whether the script saw the queue unpaused (not when paused, nor when nothing was asked)', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      expect(await fetchBatch(redis.client, IDENTITY, 'default', 5)).to.deep.equal({ jobs: [jobJson('a')], unpaused: true });
      expect(await fetchBatch(redis.client, IDENTITY, 'default', 5), 'empty, not paused').to.deep.equal({ jobs: [], unpaused: true });
      expect(await fetchBatch(redis.client, IDENTITY, 'default', 0), 'nothing asked: not known').to.deep.equal({ jobs: [], unpaused: false });
      await redis.client.sadd(PAUSED, 'default');
      await redis.client.lpush(queueKey('default'), jobJson('b'));
      expect(await fetchBatch(redis.client, IDENTITY, 'default', 5)).to.deep.equal({ jobs: [], unpaused: false });
    });

    it('blockForJob does not BLMOVE a paused queue: it waits the timeout and returns nothing, the job stays', async () => {
      await redis.client.sadd(PAUSED, 'default');
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      const started = Date.now();
      expect(await blockForJob(blocking, IDENTITY, 'default', 150)).to.equal(undefined);
      expect(Date.now() - started).to.be.within(120, 5000);
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([jobJson('a')]);
      expect(await redis.client.exists(privateList)).to.equal(0);
      await redis.client.srem(PAUSED, 'default');
      expect(await blockForJob(blocking, IDENTITY, 'default', 1000)).to.equal(jobJson('a'));
    });
  });

  describe('blockForJob', () => {
    let blocking: Redis;
    beforeEach(() => {
      blocking = new Redis(redis.url);
    });
    afterEach(() => blocking.quit());

    it('moves the oldest job into the private list and returns it, and nothing more', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'), jobJson('b'), jobJson('c'));
      expect(await blockForJob(blocking, IDENTITY, 'default', 1000)).to.equal(jobJson('a'));
      expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('a')]);
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([jobJson('c'), jobJson('b')]);
    });

    it('sends the BLMOVE alone: nothing is pipelined behind it on its connection, and it defines no script there', async () => {
      const monitor = new Redis(redis.url);
      const seen: string[] = [];
      try {
        const feed = await monitor.monitor();
        feed.on('monitor', (_time: string, args: string[]) => seen.push(String(args[0]).toLowerCase()));
        await redis.client.lpush(queueKey('default'), jobJson('a'));
        const before = seen.length;
        expect(await blockForJob(blocking, IDENTITY, 'default', 1000, { checkPaused: false })).to.equal(jobJson('a'));
        await redis.client.ping();
        expect(seen.slice(before).filter((name) => name !== 'lpush' && name !== 'ping')).to.deep.equal(['blmove']);
        expect(Object.keys((blocking as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet)).to.deep.equal([]);
        feed.disconnect();
      } finally {
        monitor.disconnect();
      }
    });

    it('wakes as soon as a job is pushed', async () => {
      const started = Date.now();
      const pending = blockForJob(blocking, IDENTITY, 'default', 5000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await redis.client.lpush(queueKey('default'), jobJson('late'), jobJson('later'));
      expect(await pending).to.equal(jobJson('late'));
      expect(Date.now() - started).to.be.below(2000);
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([jobJson('later')]);
    });

    it('returns nothing when nothing arrives within the timeout', async () => {
      const started = Date.now();
      expect(await blockForJob(blocking, IDENTITY, 'default', 100)).to.equal(undefined);
      expect(Date.now() - started).to.be.within(80, 2000);
    });

    it('returns a payload that is not valid UTF-8 as its bytes', async () => {
      const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
      await redis.client.lpush(queueKey('default'), bytes);
      const got = await blockForJob(blocking, IDENTITY, 'default', 1000);
      expect(Buffer.isBuffer(got) && got.equals(bytes)).to.equal(true);
    });

    it('checkPaused: false skips the SISMEMBER (a pause then lets one job through); by default a paused queue is not BLMOVEd', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'), jobJson('b'));
      const watcher = new Redis(redis.url);
      let asked = 0;
      const sismember = watcher.sismember.bind(watcher);
      watcher.sismember = ((...args: Parameters<typeof sismember>) => {
        asked += 1;
        return sismember(...args);
      }) as typeof watcher.sismember;
      try {
        await redis.client.sadd(PAUSED, 'default');
        expect(await blockForJob(blocking, IDENTITY, 'default', 1000, { checkPaused: false, pausedOn: watcher })).to.equal(jobJson('a'));
        expect(asked).to.equal(0);
        expect(await blockForJob(blocking, IDENTITY, 'default', 50, { pausedOn: watcher }), 'paused: no BLMOVE').to.equal(undefined);
        expect(asked, 'asked by default').to.equal(1);
        await redis.client.srem(PAUSED, 'default');
        expect(await blockForJob(blocking, IDENTITY, 'default', 1000, { checkPaused: false, pausedOn: watcher })).to.equal(jobJson('b'));
        expect(asked, 'not asked').to.equal(1);
      } finally {
        watcher.disconnect();
      }
    });

    it('an aborted signal skips the BLMOVE', async () => {
      await redis.client.lpush(queueKey('default'), jobJson('a'));
      const aborted = AbortSignal.abort();
      expect(await blockForJob(blocking, IDENTITY, 'default', 1000, { checkPaused: false, signal: aborted })).to.equal(undefined);
      expect(await redis.client.llen(queueKey('default'))).to.equal(1);
    });

    it('rejects a timeout that would block forever', async () => {
      for (const timeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = await blockForJob(blocking, IDENTITY, 'default', timeout).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${timeout}`).to.be.instanceOf(RangeError);
      }
    });
  });
});
