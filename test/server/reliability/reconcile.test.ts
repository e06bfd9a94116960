/**
 * Private-list reconciliation (src/server/reconciler.ts) on a real Redis:
 * a fetch whose reply is lost leaves its job in the live process's private
 * list; the reconciler puts it back and it runs. The other side: a job the
 * process holds — running, or its fetch reply still on the way — is never
 * put back, so nothing runs twice.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Kiq, defineWorker, type KiqOptions, type Worker } from '../../../src/index.js';
import { HeldJobs } from '../../../src/server/held-jobs.js';
import { Reconciler } from '../../../src/server/reconciler.js';
import { ConnectionPool } from '../../../src/redis/connections.js';
import { silent, type MemoryLogger } from '../../support/logger.js';
import { useRedis } from '../../support/redis.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { failOnUncaught } from '../../support/uncaught.js';
import { until } from '../../support/wait.js';

/** A Sidekiq-shaped payload pushed by a raw client. */
function payload(jid: string, args: unknown[]): string {
  return JSON.stringify({ class: 'Tracked', queue: 'work', args, jid, retry: true, created_at: 1_700_000_000.5, enqueued_at: 1_700_000_000.5 });
}

/** Log lines with `event`. */
function events(logger: MemoryLogger, event: string): Record<string, unknown>[] {
  return logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === event);
}

describe('Private-list reconciliation (real Redis, lost and late replies)', function () {
  this.timeout(60_000);
  failOnUncaught();
  const redis = useRedis();
  const kiqs: Kiq[] = [];
  const proxies: TcpProxy[] = [];
  const performed: { jid: string; at: number }[] = [];
  let holdMs = 0;
  const Tracked = defineWorker({
    class: 'Tracked',
    queue: 'work',
    async perform(_args: unknown[], ctx) {
      performed.push({ jid: ctx.jid, at: performance.now() });
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    },
  });

  beforeEach(() => {
    performed.length = 0;
    holdMs = 0;
  });
  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 2_000 }).catch(() => undefined);
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  /** A proxy in front of the test Redis, and a server on it. */
  async function serverBehindProxy(options: KiqOptions): Promise<{ kiq: Kiq; proxy: TcpProxy; logger: MemoryLogger }> {
    const proxy = await TcpProxy.start(Number(new URL(redis.url).port));
    proxies.push(proxy);
    const logger = silent();
    const kiq = new Kiq({
      redisUrl: `${proxy.url}/${redis.db}`,
      queues: { work: 3 },
      workers: [Tracked as Worker],
      pollInterval: 50,
      logger,
      ...options,
    });
    kiqs.push(kiq);
    await kiq.start();
    return { kiq, proxy, logger };
  }

  const timesPerformed = (jid: string) => performed.filter((p) => p.jid === jid).length;

  it('a fetch whose reply is lost: the stranded job goes back on its queue and runs, within seconds', async () => {
    const { kiq, proxy, logger } = await serverBehindProxy({ fetchInterval: 200 });
    const privateList = `queue:sq|${kiq.identity}|work`;
    const jid = randomBytes(12).toString('hex');
    const lost = proxy.loseReplyWith(jid);
    await redis.client.lpush('queue:work', payload(jid, ['strand me']));
    await lost;
    const lostAt = performance.now();
    // Redis applied the move; the reply never arrived: the job sits in a live
    // process's private list with no job behind it
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([payload(jid, ['strand me'])]);
    expect(await redis.client.llen('queue:work')).to.equal(0);

    await until(() => timesPerformed(jid) > 0, 15_000, 'the stranded job to run');
    const backMs = performance.now() - lostAt;
    await until(async () => (await redis.client.llen(privateList)) === 0, 5_000, 'the ack');
    expect(timesPerformed(jid), 'it ran once').to.equal(1);
    expect(backMs, 'back and running within a few seconds').to.be.below(10_000);
    expect(events(logger, 'private_reconciled')).to.deep.equal([
      { source: 'kiq', event: 'private_reconciled', queue: 'work', requeued: 1, jids: [jid] },
    ]);
  });

  it('never puts back a held job: long-running jobs, and BLMOVE replies 10 s late (the entry waits in the list unheld meanwhile)', async () => {
    holdMs = 7_000; // each job spans two or three passes
    // a long BLMOVE is always waiting on Redis: every job below is taken by one
    const { kiq, proxy, logger } = await serverBehindProxy({ fetchInterval: 30_000 });
    // every reply on the blocking-fetch connection arrives 10 s late: longer
    // than any two passes of the reconciler (2.5 s ± 50 % apart, 2 s minimum
    // age), so only the in-flight fetch rule keeps these entries
    const marker = `${kiq.identity}:fetch:work`;
    // (once its connection is up: a late handshake would only time out)
    await until(() => blockedOnFetch(marker), 5_000, 'the first BLMOVE');
    proxy.delayRepliesOf(marker, 10_000);
    const jids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const jid = randomBytes(12).toString('hex');
      jids.push(jid);
      await redis.client.lpush('queue:work', payload(jid, [i]));
      await until(async () => (await redis.client.llen('queue:work')) === 0, 5_000, 'the BLMOVE');
      // the late reply, then the fetcher blocks again
      const t0 = performance.now();
      await until(() => timesPerformed(jid) > 0, 15_000, 'the job to start');
      expect(performance.now() - t0, 'taken by the late BLMOVE').to.be.above(9_000);
      await until(() => blockedOnFetch(marker), 5_000, 'the next BLMOVE');
    }
    const privateList = `queue:sq|${kiq.identity}|work`;
    await until(async () => (await redis.client.llen(privateList)) === 0, 20_000, 'every job to finish and be acked');
    // two more passes after the last ack: nothing may come back now either
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(jids.map(timesPerformed), 'each job ran exactly once').to.deep.equal(jids.map(() => 1));
    expect(events(logger, 'private_reconciled'), 'nothing put back').to.deep.equal([]);
    expect(await redis.client.llen('queue:work')).to.equal(0);
    // stop, ending the 30 s BLMOVE so stop() does not wait for it
    proxy.delayRepliesOf(marker, 0);
    const stopped = kiq.stop({ timeout: 2_000 });
    for (const id of await clientIds(marker)) await redis.client.client('UNBLOCK', id);
    await stopped;
  });

  /** Ids of the Redis clients whose name ends with `name`. */
  async function clientIds(name: string): Promise<string[]> {
    const list = String(await redis.client.client('LIST'));
    return list.split('\n').filter((line) => line.includes(`${name} `)).map((line) => /id=(\d+)/.exec(line)![1]!);
  }

  /** Whether the client whose name ends with `name` waits in BLMOVE. */
  async function blockedOnFetch(name: string): Promise<boolean> {
    const list = String(await redis.client.client('LIST'));
    return list.split('\n').some((line) => line.includes(`${name} `) && / cmd=blmove /.test(line) && / flags=b /.test(line));
  }

  it('counts byte-identical entries as a multiset and puts back the exact bytes of an invalid-UTF-8 entry', async () => {
    const identity = `reconcile:${randomBytes(6).toString('hex')}`;
    const privateList = `queue:sq|${identity}|work`;
    const twin = payload('twin', [1]);
    const invalid = Buffer.concat([Buffer.from('{"class":"Tracked","args":["'), Buffer.from([0xff, 0xfe]), Buffer.from('"],"jid":"bad"}')]);
    await redis.client.rpush(privateList, twin, twin, invalid);
    const held = new HeldJobs();
    // this process holds one of the twins (as a fetch delivers it)
    held.ended('work', held.started('work'), [twin]);
    const pool = new ConnectionPool({ url: redis.url, options: {} }, 1);
    await pool.connect();
    try {
      let now = 0;
      const logger = silent();
      const reconciler = new Reconciler({ pool, identity, queues: ['work'], held, logger, monoMs: () => now, minAgeMs: 1_000 });
      expect(await reconciler.pass(), 'first look: candidates only').to.equal(0);
      now = 500;
      expect(await reconciler.pass(), 'too early').to.equal(0);
      now = 1_000;
      expect(await reconciler.pass(), 'the unheld twin and the invalid entry').to.equal(2);
      expect(await redis.client.lrange(privateList, 0, -1), 'the held twin stays').to.deep.equal([twin]);
      const queue = await redis.client.lrangeBuffer('queue:work', 0, -1);
      expect(queue.map((b) => b.toString('hex')).sort()).to.deep.equal([Buffer.from(twin).toString('hex'), invalid.toString('hex')].sort());
      expect(await redis.client.sismember('queues', 'work')).to.equal(1);
      now = 5_000;
      expect(await reconciler.pass(), 'the held twin is never put back').to.equal(0);
      expect(await reconciler.pass()).to.equal(0);
      expect(await redis.client.llen(privateList)).to.equal(1);
    } finally {
      await pool.close();
    }
  });

  it('an entry seen while a fetch is in flight is judged only after that fetch ended', async () => {
    const identity = `reconcile:${randomBytes(6).toString('hex')}`;
    const privateList = `queue:sq|${identity}|work`;
    const job = payload('inflight', [1]);
    const held = new HeldJobs();
    // a fetch Redis has applied (the entry is in the list) whose reply has not arrived
    const fetchId = held.started('work');
    await redis.client.lpush(privateList, job);
    const pool = new ConnectionPool({ url: redis.url, options: {} }, 1);
    await pool.connect();
    try {
      let now = 0;
      const reconciler = new Reconciler({ pool, identity, queues: ['work'], held, logger: silent(), monoMs: () => now, minAgeMs: 1_000 });
      await reconciler.pass();
      now = 60_000;
      expect(await reconciler.pass(), 'the fetch has not ended: nothing is put back, however long').to.equal(0);
      held.ended('work', fetchId, [job]); // its reply arrives
      now = 120_000;
      expect(await reconciler.pass(), 'the fetch delivered it: held').to.equal(0);
      expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([job]);
    } finally {
      await pool.close();
    }
  });
});
