/**
 * The Admin API on data written by real Sidekiq 7.3.10 and 8.1.7 (captured
 * key by key in fixtures/sidekiq-7.3-8.1.json), loaded into Redis as it
 * was: each number must be the one that version's own API reported, and
 * the actions must work on these members byte for byte.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Admin } from '../../src/admin/index.js';
import { useRedis } from '../support/redis.js';

interface RawKey {
  readonly type: 'string' | 'hash' | 'list' | 'set' | 'zset';
  readonly value: unknown;
}

interface Capture {
  readonly keys: Record<string, RawKey>;
  readonly sidekiq_api: {
    readonly during_now: number;
    readonly stats: { processed: number; failed: number; scheduled_size: number; retry_size: number; dead_size: number; processes_size: number; workers_size: number };
    readonly process: { identity: string; hostname: string; pid: number; tag: string; queues: string[]; concurrency: number; busy: number; beat: number; rss: number; rtt_us: number; started_at: number; version: string };
    readonly workers: { process: string; thread: string; queue: string; run_at: number; jid: string; class: string; args: unknown[] }[];
    readonly retries: { jid: string; retry_count: number; score: number; display_class: string }[];
    readonly dead: { jid: string; score: number }[];
    readonly before_now: number;
    readonly before_default_latency: number;
  };
}

const CAPTURES = JSON.parse(readFileSync(new URL('./fixtures/sidekiq-7.3-8.1.json', import.meta.url), 'utf8')) as Record<string, Capture>;

describe('Admin on data written by Sidekiq 7.3 and 8.1', () => {
  const redis = useRedis();

  async function load(capture: Capture): Promise<void> {
    const multi = redis.client.multi();
    for (const [key, { type, value }] of Object.entries(capture.keys)) {
      if (type === 'string') multi.set(key, value as string);
      else if (type === 'hash') multi.hset(key, value as Record<string, string>);
      else if (type === 'list') multi.rpush(key, ...(value as string[]));
      else if (type === 'set') multi.sadd(key, ...(value as string[]));
      else for (const [member, score] of value as [string, string][]) multi.zadd(key, score, member);
    }
    await multi.exec();
  }

  for (const [version, capture] of Object.entries(CAPTURES)) {
    describe(`Sidekiq ${version}`, () => {
      const api = capture.sidekiq_api;
      let admin: Admin;
      beforeEach(async () => {
        await load(capture);
        admin = new Admin({ redisUrl: redis.url, now: () => api.during_now * 1000 });
      });
      afterEach(() => admin.close());

      it('stats are the numbers Sidekiq::Stats gave (enqueued counts the two queued jobs the fixture adds)', async () => {
        const stats = await admin.stats();
        expect(stats).to.deep.include({
          processed: api.stats.processed,
          failed: api.stats.failed,
          scheduled: 1,
          retries: api.stats.retry_size,
          dead: api.stats.dead_size,
          processes: api.stats.processes_size,
          busy: api.stats.workers_size,
          enqueued: 2,
        });
        const [today] = await admin.history(1);
        expect(today).to.deep.equal({ date: '2026-12-03', processed: api.stats.processed, failed: api.stats.failed });
      });

      it('the process reads as ProcessSet read it, concurrency included (8.1 keeps it in its own hash field only)', async () => {
        const [process] = await admin.processes();
        const p = api.process;
        expect(process).to.deep.include({
          identity: p.identity,
          hostname: p.hostname,
          pid: p.pid,
          tag: p.tag,
          concurrency: p.concurrency,
          busy: p.busy,
          beat: p.beat,
          quiet: false,
          rss: p.rss,
          rttUs: p.rtt_us,
          startedAt: p.started_at,
          version: p.version,
          leader: false,
        });
        expect(process!.queues).to.deep.equal(p.queues);
      });

      it('busy jobs come from <identity>:work as WorkSet read them', async () => {
        const busy = await admin.busy();
        expect(busy.map((j) => ({ process: j.identity, thread: j.thread, queue: j.queue, run_at: j.runAt, jid: j.jid, class: j.class, args: j.args }))).to.deep.equal(api.workers);
      });

      it("queue latency is Queue#latency's (8.1's integer ms enqueued_at read as ms)", async () => {
        const timed = new Admin({ redisUrl: redis.url, now: () => api.before_now * 1000 });
        try {
          const queue = await timed.queue('default');
          expect(queue.size).to.equal(2);
          // the capture read its `now` a few ms apart from Sidekiq's own clock read
          expect(queue.latency).to.be.closeTo(api.before_default_latency, 0.01);
          expect(queue.paused).to.equal(false);
        } finally {
          await timed.close();
        }
      });

      it('retry and dead entries are found by jid as RetrySet/DeadSet listed them; retry now decrements retry_count in place', async () => {
        const [retry] = await admin.retries.find(api.retries[0]!.jid);
        expect(retry!.score).to.equal(api.retries[0]!.score);
        const [dead] = (await admin.dead.list()).entries;
        expect({ jid: dead!.jid, score: dead!.score }).to.deep.equal(api.dead[0]);
        const result = await admin.retries.retry(retry!);
        expect(result.moved).to.have.length(1);
        const [pushed] = await redis.client.lrange('queue:default', 0, 0);
        expect(JSON.parse(pushed!)).to.include({ jid: api.retries[0]!.jid, retry_count: api.retries[0]!.retry_count - 1 });
        // every byte but retry_count and enqueued_at as Sidekiq wrote it
        const strip = (s: string) => s.replace(/"retry_count":-?\d+/, '').replace(/"enqueued_at":[\d.]+/, '');
        expect(strip(pushed!)).to.equal(strip(retry!.member));
      });
    });
  }
});
