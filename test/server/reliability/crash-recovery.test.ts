/**
 * Crash recovery in seconds, on real processes and a real Redis: a SIGKILLed
 * server's jobs run again within 30 s with default options (liveness lease
 * `kiq:leases`, src/server/liveness.ts; recovery run by every server), also
 * when the killed server led; a server restarted with the same fixed
 * identity takes its predecessor's jobs back before it fetches; and a server
 * whose event loop is blocked for a few seconds keeps its jobs.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Kiq, defineWorker, type KiqOptions, type Worker } from '../../../src/index.js';
import { silent, type MemoryLogger } from '../../support/logger.js';
import { useRedis } from '../../support/redis.js';
import { failOnUncaught } from '../../support/uncaught.js';
import { until } from '../../support/wait.js';
import { killAll, startChild } from './child.js';

/** A `Reliable` job as Sidekiq writes it. */
function job(jid: string): string {
  return JSON.stringify({ class: 'Reliable', queue: 'work', args: [], jid, retry: true, created_at: 1_700_000_000.5, enqueued_at: 1_700_000_000.5 });
}

/**
 * How long the survivor runs before the fault: a server up for a while, on
 * a Redis up for more than a `livenessTtl` (10 s by default; recovery waits
 * that long after a Redis restart).
 */
const STEADY_MS = 10_500;

describe('Crash recovery (real processes, real Redis)', function () {
  this.timeout(90_000);
  failOnUncaught();
  const redis = useRedis();
  const kiqs: Kiq[] = [];
  const performed: { jid: string; at: number }[] = [];
  const Reliable = defineWorker({
    class: 'Reliable',
    queue: 'work',
    perform(_args: unknown[], ctx) {
      performed.push({ jid: ctx.jid, at: performance.now() });
    },
  });

  beforeEach(() => {
    performed.length = 0;
  });
  afterEach(async () => {
    await killAll();
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 2_000 }).catch(() => undefined);
  });

  async function survivor(options: KiqOptions = {}): Promise<{ kiq: Kiq; logger: MemoryLogger; startedAt: number }> {
    const logger = silent();
    const kiq = new Kiq({ redisUrl: redis.url, queues: { work: 5 }, workers: [Reliable as Worker], logger, ...options });
    kiqs.push(kiq);
    await kiq.start();
    return { kiq, logger, startedAt: performance.now() };
  }

  async function push(count: number): Promise<string[]> {
    const jids = Array.from({ length: count }, () => randomBytes(12).toString('hex'));
    for (const jid of jids) await redis.client.lpush('queue:work', job(jid));
    return jids;
  }

  const startedBy = async (identity: string) =>
    (await redis.client.lrange('rel:started', 0, -1)).filter((line) => line.startsWith(`${identity} `)).map((line) => line.split(' ')[1]!);

  it('SIGKILL of the leader, default options: every job it held runs again within 30 s', async function () {
    const child = await startChild({ REDIS_URL: redis.url, KIQ_CONCURRENCY: '3' });
    await until(async () => (await redis.client.get('dear-leader')) === child.identity, 10_000, 'the child to lead');
    // quiet: it must not take the child's jobs itself; recovery runs regardless
    const { kiq, logger, startedAt } = await survivor({ quiet: true });
    const jids = await push(3);
    await until(async () => (await startedBy(child.identity)).length === 3, 10_000, 'the child to run its jobs');
    // a survivor that has been up for a while (the scenario, not a synchronisation)
    await until(() => performance.now() - startedAt >= STEADY_MS, STEADY_MS + 1_000, 'the survivor to run a while');
    expect(await redis.client.get('dear-leader'), 'the killed server leads').to.equal(child.identity);

    await child.kill();
    const killedAt = performance.now();
    kiq.configure({ quiet: false });
    await until(() => jids.every((jid) => performed.some((p) => p.jid === jid)), 30_000, 'every job of the killed server to run again');
    const recoveryMs = Math.max(...performed.map((p) => p.at)) - killedAt;
    (this.test as Mocha.Test).title += ` (measured ${(recoveryMs / 1000).toFixed(1)} s)`;
    expect(recoveryMs).to.be.below(30_000);
    const recovered = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.event === 'orphans_recovered');
    expect(recovered).to.deep.include({ identities: [child.identity], requeued: 3, dead: 0 });
    expect(await redis.client.zscore('kiq:leases', child.identity), 'its lease is gone').to.equal(null);
  });

  it('a fixed identity restarted after SIGKILL takes back its predecessor’s jobs before fetching, and every job runs', async () => {
    const identity = `pod-${randomBytes(4).toString('hex')}`;
    const first = await startChild({ REDIS_URL: redis.url, KIQ_IDENTITY: identity, KIQ_CONCURRENCY: '3' });
    const jids = await push(5);
    await until(async () => (await startedBy(identity)).length === 3, 10_000, 'the first incarnation to run 3 jobs');
    await first.kill();
    expect(await redis.client.llen(`queue:sq|${identity}|work`), 'held by the dead incarnation').to.equal(3);

    // same identity: its heartbeat and lease look alive, so nobody else would take the jobs
    const second = await startChild({ REDIS_URL: redis.url, KIQ_IDENTITY: identity, KIQ_CONCURRENCY: '5', KIQ_JOB_MS: '10' });
    const finished = async () => (await redis.client.lrange('rel:finished', 0, -1)).map((line) => line.split(' ')[1]!);
    await until(
      async () => {
        const done = await finished();
        return jids.every((jid) => done.includes(jid));
      },
      15_000,
      'every job to run',
    );
    expect([...(await finished())].sort()).to.deep.equal([...jids].sort());
    const takenBack = second.logLines().find((line) => line.event === 'private_taken_back');
    expect(takenBack, 'taken back at start').to.deep.include({ requeued: 3, dead: 0 });
    await until(async () => (await redis.client.llen(`queue:sq|${identity}|work`)) === 0, 5_000, 'acks');
  });

  it('a server whose event loop is blocked for 6 s (a CPU-bound job), default options: keeps its job', async () => {
    // one job: two would block the loop one after the other, 12 s in all
    const child = await startChild({ REDIS_URL: redis.url, KIQ_CONCURRENCY: '1', KIQ_JOB_MS: '10', KIQ_BUSY_MS: '6000', KIQ_WAIT_FOR_GO: '1' });
    const { logger, startedAt } = await survivor({ quiet: true });
    const jids = await push(1);
    await until(async () => (await startedBy(child.identity)).length === 1, 10_000, 'the child to start its job');
    await until(() => performance.now() - startedAt >= STEADY_MS, STEADY_MS + 1_000, 'the survivor to run a while');
    await redis.client.set('rel:go', '1'); // the jobs block the loop now
    await until(async () => (await redis.client.llen('rel:finished')) === 1, 20_000, 'the blocked job to finish');
    // the recovery checks that ran during the block have long passed
    expect(logger.lines.filter((line) => line.includes('orphans_recovered')), 'nothing recovered').to.deep.equal([]);
    await until(async () => (await redis.client.llen(`queue:sq|${child.identity}|work`)) === 0, 5_000, 'acked by their owner');
    expect(await redis.client.llen('queue:work'), 'nothing requeued').to.equal(0);
    expect((await redis.client.lrange('rel:finished', 0, -1)).map((line) => line.split(' ')[1]).sort()).to.deep.equal([...jids].sort());
  });

  it('blocked past the line (livenessTtl 2 s, blocked 5 s): its jobs are taken and run again elsewhere (at-least-once)', async () => {
    const child = await startChild({ REDIS_URL: redis.url, KIQ_CONCURRENCY: '1', KIQ_JOB_MS: '10', KIQ_BUSY_MS: '5000', KIQ_WAIT_FOR_GO: '1', KIQ_LIVENESS_TTL: '2000' });
    const { kiq, logger, startedAt } = await survivor({ quiet: true, livenessTtl: 2_000 });
    const [jid] = await push(1);
    await until(async () => (await startedBy(child.identity)).length === 1, 10_000, 'the child to start its job');
    await until(() => performance.now() - startedAt >= 2_500, 3_500, 'the survivor to run a while');
    kiq.configure({ quiet: false });
    await redis.client.set('rel:go', '1');
    await until(() => performed.some((p) => p.jid === jid), 10_000, 'the job to run again on the survivor');
    expect(logger.lines.some((line) => line.includes('orphans_recovered') && line.includes(child.identity))).to.equal(true);
    // the blocked server finishes its copy too: it ran twice, it was never lost
    await until(async () => (await redis.client.llen('rel:finished')) === 1, 10_000, 'the blocked copy to finish');
  });
});
