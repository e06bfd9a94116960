/**
 * `admin.retries`, `admin.scheduled` and `admin.dead` on real Redis, with
 * members as Sidekiq 6.4 writes them: paging in both score orders, find by
 * jid or Web UI key, filter without SCAN, and the actions — retry now,
 * add to queue, kill (with the dead trim), delete, and each in bulk — all
 * by exact member, including while someone else changes the set between
 * two batches.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Admin, enqueueAll, type SetEntry } from '../../src/admin/index.js';
import { useRedis } from '../support/redis.js';
import { usePool } from '../support/pool.js';
import { rejection } from './support.js';

const NOW_MS = Date.UTC(2026, 11, 3, 12);
const NOW = NOW_MS / 1000;

/** A retry member as Sidekiq 6.4 writes it; args with bytes a JSON round trip would change. */
function failed(jid: string, { cls = 'HardWorker', queue = 'default', retryCount = 0, error = 'boom' } = {}): string {
  return (
    `{"retry":true,"queue":"${queue}","class":"${cls}","args":[12345678901234567,1.0,"caf\\u00e9",[]],"jid":"${jid}",` +
    `"created_at":1795807920.4649706,"enqueued_at":1795807920.4651282,"error_message":"${error} ${jid}","error_class":"RuntimeError",` +
    `"failed_at":1795807921.1244085,"retry_count":${retryCount}}`
  );
}

const jid = (n: number) => `a${String(n).padStart(23, '0')}`;

describe('Admin job sets (retry, schedule, dead)', () => {
  const redis = useRedis();
  let admin: Admin;
  beforeEach(() => {
    admin = new Admin({ redisUrl: redis.url, now: () => NOW_MS, deadLimit: 5 });
  });
  afterEach(() => admin.close());

  async function seedRetries(n: number, member: (i: number) => string = (i) => failed(jid(i))): Promise<string[]> {
    const members = Array.from({ length: n }, (_, i) => member(i));
    const multi = redis.client.multi();
    members.forEach((m, i) => multi.zadd('retry', NOW + 10 + i, m));
    await multi.exec();
    return members;
  }

  it('lists pages in the Web UI order (retry soonest first, dead latest first) or the one asked for, with the size', async () => {
    await seedRetries(5);
    await redis.client.zadd('dead', NOW - 30, failed(jid(90)), NOW - 10, failed(jid(91)), NOW - 20, 'not json');
    const page = await admin.retries.list({ offset: 1, limit: 2 });
    expect(page.total).to.equal(5);
    expect(page.entries.map((e) => e.jid)).to.deep.equal([jid(1), jid(2)]);
    expect(page.entries[0]).to.deep.include({ set: 'retry', score: NOW + 11, key: `${NOW + 11}-${jid(1)}` });
    expect((await admin.retries.list({ limit: 2, order: 'desc' })).entries.map((e) => e.jid)).to.deep.equal([jid(4), jid(3)]);
    expect((await admin.retries.list({ limit: 0 })).entries).to.have.length(5);
    const dead = await admin.dead.list();
    expect(dead.entries.map((e) => e.jid ?? e.member)).to.deep.equal([jid(91), 'not json', jid(90)]);
    expect(dead.entries[1]!.job).to.equal(undefined);
    expect(await admin.dead.size()).to.equal(3);
    expect((await rejection(admin.retries.list({ limit: -1 }))).message).to.equal('limit must be an integer >= 0, got -1');
  });

  it('finds by jid (all entries with it, never a substring match) and by the "<score>-<jid>" key', async () => {
    const members = await seedRetries(3);
    await redis.client.zadd('retry', NOW + 99, failed(jid(1), { retryCount: 4 })); // the same jid twice
    const byJid = await admin.retries.find(jid(1));
    expect(byJid.map((e) => e.score)).to.deep.equal([NOW + 11, NOW + 99]);
    const [byKey] = await admin.retries.find(byJid[1]!.key);
    expect(byKey!.member).to.equal(failed(jid(1), { retryCount: 4 }));
    expect(await admin.retries.find(jid(1).slice(0, 10))).to.deep.equal([]);
    expect(members).to.include(byJid[0]!.member);
    expect((await rejection(admin.retries.find(''))).kind).to.equal('invalid-argument');
  });

  it('finds an entry without a jid (a payload that is not JSON) by its key "<score>-", as listed, and deletes it by that key', async () => {
    await redis.client.zadd('dead', NOW - 20, 'not json', NOW - 20, failed(jid(7)), NOW - 5, '{"class":"NoJid"}');
    const raw = (await admin.dead.list()).entries.find((e) => e.member === 'not json')!;
    expect(raw.key).to.equal(`${NOW - 20}-`);
    expect((await admin.dead.find(raw.key)).map((e) => e.member)).to.deep.equal(['not json']);
    expect(await admin.dead.delete(raw.key)).to.equal(1);
    expect(await redis.client.zrange('dead', '0', '-1')).to.deep.equal([failed(jid(7)), '{"class":"NoJid"}']);
  });

  it('filters by class (or display class) and text in score order, paging on with next', async () => {
    await seedRetries(30, (i) =>
      i % 3 === 0
        ? `{"class":"ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper","wrapped":"SignUpJob","queue":"default","args":[{"job_class":"SignUpJob"}],"jid":"${jid(i)}","error_message":"Net::ReadTimeout","retry_count":0}`
        : failed(jid(i), { cls: i % 3 === 1 ? 'Mailer' : 'Billing', error: i % 2 === 0 ? 'Timeout' : 'Refused' }),
    );
    const signUps = await admin.retries.filter({ class: 'SignUpJob' }, { limit: 4 });
    expect(signUps.entries.map((e) => e.jid)).to.deep.equal([0, 3, 6, 9].map(jid));
    expect(signUps.next).to.equal(10);
    const more = await admin.retries.filter({ class: 'SignUpJob' }, { offset: signUps.next!, limit: 100 });
    expect(more.entries.map((e) => e.jid)).to.deep.equal([12, 15, 18, 21, 24, 27].map(jid));
    expect(more.next).to.equal(undefined);
    const wrapper = await admin.retries.filter({ class: 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper' }, { limit: 100 });
    expect(wrapper.entries).to.have.length(10);
    // text: anywhere in the member, ignoring case; combined with class
    const mailTimeouts = await admin.retries.filter({ class: 'Mailer', text: 'TIMEOUT' }, { limit: 100 });
    expect(mailTimeouts.entries.map((e) => e.jid)).to.deep.equal([4, 10, 16, 22, 28].map(jid));
    const bounded = await admin.retries.filter({ text: 'no such text' }, { scanLimit: 7 });
    expect(bounded).to.deep.equal({ entries: [], scanned: 7, next: 7 });
    await redis.client.zadd(
      'retry',
      NOW + 500,
      `{"class":"ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper","wrapped":"ActionMailer::MailDeliveryJob","queue":"mailers","args":[{"job_class":"ActionMailer::MailDeliveryJob","arguments":["UserMailer","welcome","deliver_now"]}],"jid":"${jid(99)}"}`,
    );
    expect((await admin.retries.filter({ class: 'UserMailer#welcome' })).entries.map((e) => e.jid)).to.deep.equal([jid(99)]);
    const latestFirst = await admin.retries.filter({ class: 'Billing' }, { limit: 2, order: 'desc' });
    expect(latestFirst.entries.map((e) => e.jid)).to.deep.equal([jid(29), jid(26)]); // jid(99) is a mailer
  });

  it('retry: to its queue now with retry_count - 1 and enqueued_at = now, every other byte as stored; addToQueue leaves retry_count', async () => {
    const members = await seedRetries(3, (i) => failed(jid(i), { queue: i === 2 ? 'critical' : 'default', retryCount: 3 }));
    const result = await admin.retries.retry([jid(2), 'nope']);
    expect(result.moved.map((e) => e.jid)).to.deep.equal([jid(2)]);
    expect(result.notFound).to.deep.equal(['nope']);
    const [pushed] = await redis.client.lrange('queue:critical', 0, -1);
    expect(pushed).to.equal(members[2]!.replace('"enqueued_at":1795807920.4651282', `"enqueued_at":${NOW}.0`).replace('"retry_count":3', '"retry_count":2'));
    expect(await redis.client.smembers('queues')).to.deep.equal(['critical']);

    await redis.client.zadd('schedule', NOW + 60, `{"class":"Later","args":[],"jid":"${jid(50)}","retry_count":2}`);
    const [scheduled] = (await admin.scheduled.list()).entries;
    await admin.scheduled.addToQueue(scheduled!);
    expect(await redis.client.lrange('queue:default', 0, -1)).to.deep.equal([`{"class":"Later","args":[],"jid":"${jid(50)}","retry_count":2,"queue":"default","enqueued_at":${NOW}.0}`]);
    expect(await redis.client.exists('schedule')).to.equal(0);
  });

  it('kill: to dead unchanged, scored now, trimmed to deadLimit - 1 and by age; not offered on the dead set', async () => {
    const members = await seedRetries(6);
    await redis.client.zadd('dead', NOW - 200 * 86_400, 'older than 180 days');
    const [entry] = await admin.retries.find(jid(0));
    expect((await admin.retries.kill(entry!)).moved).to.have.length(1);
    expect(await redis.client.zscore('dead', members[0]!)).to.equal(String(NOW));
    expect(await redis.client.zscore('dead', 'older than 180 days'), 'trimmed by age').to.equal(null);
    const all = await admin.retries.killAll();
    expect(all.moved).to.have.length(5);
    expect(await redis.client.exists('retry')).to.equal(0);
    // deadLimit 5: at most 4 entries right after each add (Sidekiq's ZREMRANGEBYRANK 0 -limit)
    expect(await redis.client.zcard('dead')).to.equal(4);
    const deadError = await rejection(admin.dead.kill(jid(5)));
    expect(deadError).to.deep.include({ kind: 'invalid-argument', message: 'cannot kill entries of the dead set: they are dead already' });
    expect((await rejection(admin.dead.killAll())).kind).to.equal('invalid-argument');
    expect(await redis.client.zcard('dead')).to.equal(4);
  });

  it('delete removes exact members (every entry a jid names); clear deletes the set; an entry of another set is refused', async () => {
    await seedRetries(4);
    await redis.client.zadd('retry', NOW + 99, failed(jid(1), { retryCount: 9 }));
    expect(await admin.retries.delete(jid(1))).to.equal(2);
    const [entry] = (await admin.retries.list({ limit: 1 })).entries;
    expect(await admin.retries.delete([entry!, entry!])).to.equal(1);
    expect(await admin.retries.delete(entry!)).to.equal(0);
    const misplaced = await rejection(admin.dead.retry(entry as SetEntry));
    expect(misplaced.message).to.equal(`dead: the entry ${entry!.key} belongs to the retry set`);
    expect(await admin.retries.clear()).to.equal(2);
    expect(await redis.client.exists('retry')).to.equal(0);
  });

  it('retryAll moves every job in batches and leaves entries that are not jobs where they are', async () => {
    await seedRetries(250);
    await redis.client.zadd('retry', 0, 'not json');
    const result = await admin.retries.retryAll();
    expect(result.moved).to.have.length(250);
    expect(result.skipped.map((s) => s.reason)).to.deep.equal(['not a JSON object']);
    expect(await redis.client.zrange('retry', '0', '-1')).to.deep.equal(['not json']);
    expect(await redis.client.llen('queue:default')).to.equal(250);
    expect(JSON.parse((await redis.client.lrange('queue:default', 0, 0))[0]!).retry_count).to.equal(-1);
  });

  describe('bulk moves while someone else changes the set between batches', () => {
    const pool = usePool(redis);

    /** `redis`, but `before(n)` runs before its n-th ZRANGE (1-based). */
    function onZrange(conn: Redis, before: (n: number) => Promise<void>): Redis {
      let calls = 0;
      return new Proxy(conn, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property === 'zrange') {
            return async (...args: unknown[]) => {
              await before(++calls);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    }

    it('a non-job ahead of the next batch removed meanwhile does not make retry-all skip a job', async () => {
      await seedRetries(150);
      await redis.client.zadd('retry', 0, 'not json'); // at rank 0: left in place by the first batch
      const conn = onZrange(pool.next(), async (n) => {
        if (n === 2) await redis.client.zrem('retry', 'not json'); // another admin deletes it
      });
      const result = await enqueueAll(conn, 'retry', { decrement: true, nowMs: NOW_MS });
      expect(result.moved).to.have.length(150);
      expect(await redis.client.zcard('retry')).to.equal(0);
      expect(await redis.client.llen('queue:default')).to.equal(150);
    });

    it('ends even when retried jobs keep failing back into the set (at most its size at the start, plus a batch)', async () => {
      await seedRetries(150);
      let added = 0;
      const conn = onZrange(pool.next(), async () => {
        const multi = redis.client.multi();
        for (let i = 0; i < 10; i++, added++) multi.zadd('retry', NOW + 5_000 + added, failed(jid(1000 + added)));
        await multi.exec();
      });
      const result = await enqueueAll(conn, 'retry', { decrement: true, nowMs: NOW_MS });
      expect(result.moved.length).to.be.within(150, 250);
      expect(await redis.client.zcard('retry')).to.equal(150 + added - result.moved.length);
    });

    it('entries a poller moved meanwhile are skipped as gone, never pushed twice', async () => {
      const members = await seedRetries(150);
      const conn = onZrange(pool.next(), async (n) => {
        if (n === 2) await redis.client.zrem('retry', ...members.slice(100, 120)); // a poller took 20 due ones
      });
      const result = await enqueueAll(conn, 'retry', { decrement: true, nowMs: NOW_MS });
      expect(result.moved).to.have.length(130);
      expect(await redis.client.llen('queue:default')).to.equal(130);
      expect(new Set((await redis.client.lrange('queue:default', 0, -1)).map((m) => JSON.parse(m).jid)).size).to.equal(130);
    });
  });
});
