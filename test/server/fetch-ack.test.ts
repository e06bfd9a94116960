import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Kiq, defineWorker } from '../../src/index.js';
import { FOLLOW_MS } from '../../machines/fetcher.js';
import { loadScripts } from '../../src/redis/scripts.js';
import { useKiqs } from '../support/kiqs.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

let performed = 0;
/** fetch-jobs calls seen in MONITOR so far, and that count when a Slow job ended. */
let fetchesSeen = 0;
let fetchesWhenSlowEnded = 0;
const Echo = defineWorker({
  class: 'Echo',
  queue: 'work',
  perform() {
    performed++;
  },
});

/** A job that outlasts the fetcher's wait for it (FOLLOW_MS) before the burst fetch. */
const Slow = defineWorker({
  class: 'Slow',
  queue: 'work',
  async perform() {
    await new Promise((resolve) => setTimeout(resolve, 30 * FOLLOW_MS));
    fetchesWhenSlowEnded = fetchesSeen;
    performed++;
  },
});

const shaOf = (name: string): string => createHash('sha1').update(loadScripts().find((script) => script.name === name)!.lua).digest('hex');

/**
 * The processing path's script calls, seen with MONITOR: a finished job's
 * ack rides in the fetch its freed slot starts (fetch-jobs.lua ARGV[4] > 0)
 * instead of costing its own ack-jobs call.
 */
describe('Acks ride in the next fetch (real Redis, MONITOR)', function () {
  this.timeout(20_000);
  const redis = useRedis();
  // a blocking wait (fetchInterval) far longer than a Slow job: no fetch after a
  // timed-out BLMOVE happens to be there to carry an ack the test expects alone
  const fetchInterval = 1000;
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { work: 5 }, fetchInterval, pollInterval: 50, workers: [Echo, Slow] }));
  let monitor: Redis | undefined;
  const calls = { ack: 0, acksAlone: 0, fetch: 0, fetchCarrying: 0, acksCarried: 0 };

  beforeEach(async () => {
    performed = 0;
    Object.assign(calls, { ack: 0, acksAlone: 0, fetch: 0, fetchCarrying: 0, acksCarried: 0 });
    const [ack, fetch] = [shaOf('ack-jobs'), shaOf('fetch-jobs')];
    monitor = await redis.client.monitor();
    monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
      const command = args[0]?.toLowerCase();
      if (database !== String(redis.db) || (command !== 'evalsha' && command !== 'eval')) return;
      // a script's first call on a fresh server is an EVAL (after NOSCRIPT), named by its body
      const script = command === 'evalsha' ? args[1] : args[1]?.includes('local removed = 0') ? ack : args[1]?.includes("'LMOVE'") ? fetch : undefined;
      if (script === ack) {
        calls.ack++;
        calls.acksAlone += args.length - 4; // evalsha <sha> 1 <key> <raw>…
      }
      if (script === fetch) {
        calls.fetch++;
        fetchesSeen = calls.fetch;
        // evalsha sha 6 keys… identity max queue n acks…
        const n = Number(args[3 + 6 + 3]);
        if (n > 0) {
          calls.fetchCarrying++;
          calls.acksCarried += n;
        }
      }
    });
  });
  afterEach(async () => {
    monitor?.disconnect();
    monitor = undefined;
  });

  /** Push `count` jobs of `worker` (Echo) with a client-only Kiq. */
  async function push(count: number, worker: typeof Echo = Echo): Promise<void> {
    const client = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await client.start();
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => client.enqueue(worker, [i])));
    } finally {
      await client.stop();
    }
  }

  it('a busy queue acks in its fetches, not in separate ack-jobs calls', async () => {
    await push(100);
    // rounds of the concurrency (prefetch makes them a few large ones, whose last partial
    // round acks alone: test/server/prefetch.test.ts)
    const kiq = await kiqs.start({ prefetch: false });
    const privateList = `queue:sq|${kiq.identity}|work`;
    await until(async () => performed === 100 && (await redis.client.llen(privateList)) === 0 && (await redis.client.llen('queue:work')) === 0, 10_000, '100 jobs acked');
    await until(() => calls.acksCarried + calls.acksAlone === 100, 2000, `every ack in MONITOR (${JSON.stringify(calls)})`);
    // 100 jobs at concurrency 5: ~20 rounds, each one fetch carrying the previous round's acks
    // (a round whose jobs finish over two ticks while its first fetch is in flight acks the rest
    // alone: measured 95–100 carried, also with the host's cores busy; before acks rode in
    // fetches, 0; with a write scheduled for acks a fetch took left standing, 50–75 on a busy host)
    expect(calls.acksCarried, `acks carried (${JSON.stringify(calls)})`).to.be.at.least(85);
    expect(calls.ack, `separate ack-jobs calls (${JSON.stringify(calls)})`).to.be.below(calls.fetchCarrying);
  });

  /** Start a server, wait until its fetcher blocks on the empty queue, push one job of `worker`, and wait for its ack. */
  let fetchesBefore = 0;
  async function loneJob(worker: typeof Echo): Promise<number> {
    const kiq = await kiqs.start();
    const privateList = `queue:sq|${kiq.identity}|work`;
    // the fetcher found the queue empty and blocks
    await until(() => calls.fetch > 0, 5000, 'first fetch');
    await until(async () => / flags=b /.test(String(await redis.client.client('LIST'))), 5000, 'the queue blocks');
    fetchesBefore = calls.fetch;
    await push(1, worker);
    await until(() => performed === 1, 5000, 'perform');
    const performedAt = Date.now();
    await until(async () => (await redis.client.llen(privateList)) === 0, 2000, 'ack', 1);
    const ackedIn = Date.now() - performedAt;
    await until(() => calls.acksCarried + calls.acksAlone === 1, 1000, `the ack in MONITOR (${JSON.stringify(calls)})`);
    expect(calls.fetch - fetchesBefore, 'one burst fetch after the job').to.be.at.least(1);
    return ackedIn;
  }

  it('an idle queue (blocking on BLMOVE): the ack of a lone job rides in the burst fetch after it, promptly', async () => {
    const ackedIn = await loneJob(Echo);
    expect(ackedIn, 'not a fetchInterval later').to.be.below(fetchInterval / 4);
    expect(calls.ack, `no ack-jobs call of its own (${JSON.stringify(calls)})`).to.equal(0);
    expect(calls.acksCarried).to.equal(1);
  });

  it('an idle queue: a lone job that outlasts FOLLOW_MS does not hold the burst fetch back, and is acked alone, promptly', async () => {
    const ackedIn = await loneJob(Slow);
    expect(fetchesWhenSlowEnded - fetchesBefore, 'the burst fetch ran while the job did').to.be.at.least(1);
    expect(ackedIn, 'not a fetchInterval later').to.be.below(fetchInterval / 4);
    expect(calls.ack, `its own ack-jobs call (${JSON.stringify(calls)})`).to.equal(1);
    expect(calls.acksCarried).to.equal(0);
  });
});
