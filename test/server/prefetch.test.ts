import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Kiq, defineWorker, type Worker } from '../../src/index.js';
import { loadScripts } from '../../src/redis/scripts.js';
import { MAX_LEVEL } from '../../src/server/job-pace.js';
import { gatedWorker } from '../support/gated-worker.js';
import { useKiqs } from '../support/kiqs.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

/** Jobs performed, by their first argument, and the most that ran at once. */
const performed: number[] = [];
let runningNow = 0;
let mostAtOnce = 0;
let stopCalledAt = Infinity;
let performedAfterStop = 0;

/** Records a job and how many ran at once; `ms` long (0: one macrotask, so that jobs overlap). */
function counted(className: string, ms: number): Worker {
  return defineWorker({
    class: className,
    queue: 'work',
    async perform(args: unknown[]) {
      runningNow++;
      mostAtOnce = Math.max(mostAtOnce, runningNow);
      if (performance.now() >= stopCalledAt) performedAfterStop++;
      try {
        await new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
      } finally {
        runningNow--;
        performed.push(args[0] as number);
      }
    },
  });
}
const Quick = counted('Quick', 0);
const Slow = counted('Slow', 10);

/**
 * Prefetch (machines/queue.ts `pace`, src/server/job-slots.ts): while the
 * jobs are quick a queue fetches ahead of its free slots, never runs more
 * than its concurrency at once, stops when the jobs are slow, and at
 * shutdown leaves the prefetched jobs unstarted for the requeue.
 */
const fetchSha = createHash('sha1').update(loadScripts().find((script) => script.name === 'fetch-jobs')!.lua).digest('hex');

describe('Prefetch (real Redis, MONITOR)', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { work: 2 }, fetchInterval: 1000, pollInterval: 50 }));
  let monitor: Redis | undefined;
  /** The `max` of every fetch-jobs call seen. */
  let fetchMax: number[] = [];

  beforeEach(async () => {
    performed.length = 0;
    runningNow = 0;
    mostAtOnce = 0;
    stopCalledAt = Infinity;
    performedAfterStop = 0;
    fetchMax = [];
    monitor = await redis.client.monitor();
    monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
      const command = args[0]?.toLowerCase();
      if (database !== String(redis.db) || (command !== 'evalsha' && command !== 'eval')) return;
      // fetch-jobs.lua: evalsha sha 6 keys… identity max queue n acks… (a first call is an EVAL of its body)
      if (command === 'evalsha' ? args[1] === fetchSha : args[1]?.includes("'LMOVE'")) fetchMax.push(Number(args[10]));
    });
  });
  afterEach(() => {
    monitor?.disconnect();
    monitor = undefined;
  });

  async function push(worker: Worker, count: number, from = 0): Promise<void> {
    const client = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await client.start();
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => client.enqueue(worker, [from + i])));
    } finally {
      await client.stop();
    }
  }

  const allDone = async (kiq: Kiq, count: number) => {
    await until(async () => performed.length === count && (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 15_000, `${count} jobs performed and acked`);
  };

  it('quick jobs: fetches ask for more than the free slots, yet no more than the concurrency run at once, each job once', async () => {
    await push(Quick, 300);
    const kiq = await kiqs.start({ workers: [Quick] });
    await allDone(kiq, 300);
    expect(new Set(performed).size, 'each job once').to.equal(300);
    expect(mostAtOnce, 'never more than the concurrency at once').to.equal(2);
    expect(Math.max(...fetchMax), `fetch sizes ${fetchMax.join(',')}`).to.be.above(2);
    expect(Math.max(...fetchMax), `at most ${MAX_LEVEL} times the concurrency ahead`).to.be.at.most(2 * (1 + MAX_LEVEL));
  });

  it('slow jobs (10 ms): never fetched ahead of the free slots', async () => {
    await push(Slow, 30);
    const kiq = await kiqs.start({ workers: [Slow] });
    await allDone(kiq, 30);
    expect(fetchMax.length).to.be.above(0);
    expect(Math.max(...fetchMax), `fetch sizes ${fetchMax.join(',')}`).to.be.at.most(2);
  });

  it('prefetch: false: quick jobs too are fetched for free slots only', async () => {
    await push(Quick, 200);
    const kiq = await kiqs.start({ workers: [Quick], prefetch: false });
    await allDone(kiq, 200);
    expect(Math.max(...fetchMax), `fetch sizes ${fetchMax.join(',')}`).to.be.at.most(2);
  });

  it('shutdown: jobs waiting for a slot do not start; they go back to the queue with their bytes, and nothing is lost', async () => {
    const gate = gatedWorker('Gate', 'work');
    // quick jobs first (the queue turns quick), then two that hold both slots, then more quick ones
    await push(Quick, 100);
    await push(gate.worker, 2);
    await push(Quick, 20, 100);
    const before = new Set([...(await redis.client.lrange('queue:work', 0, -1))]);
    const kiq = await kiqs.start({ workers: [Quick, gate.worker], shutdownTimeout: 10_000 });
    await gate.started;
    const privateList = `queue:sq|${kiq.identity}|work`;
    await until(async () => (await redis.client.llen(privateList)) > 2, 5000, 'jobs fetched ahead while both slots are held');
    const aheadOfSlots = (await redis.client.llen(privateList)) - 2;
    stopCalledAt = performance.now();
    const stopping = kiq.stop();
    // the queue has its shutdown (it no longer runs): now the held slots free
    await until(() => /stoppingFetcher|draining/.test(JSON.stringify(kiq.dump().tree)), 5000, 'the queue stopping');
    gate.release();
    await stopping;
    expect(performedAfterStop, 'no waiting job started after stop()').to.equal(0);
    expect(await redis.client.llen(privateList), 'the private list is requeued').to.equal(0);
    const left = await redis.client.lrange('queue:work', 0, -1);
    expect(left.length, 'the prefetched jobs are back, unrun, with the rest').to.be.at.least(aheadOfSlots);
    for (const raw of left) expect(before.has(raw), 'exact bytes').to.equal(true);
    expect(performed.filter((n) => n >= 100).length + left.length, 'every later job ran or is back in the queue').to.equal(20);
    expect(new Set(performed).size, 'nothing ran twice').to.equal(performed.length);
  });
});
