/**
 * Resilience against real failures, on real Redis and real processes:
 * a server process killed with SIGKILL mid-job (its in-flight jobs are
 * recovered from its private list by another process and run exactly once
 * more), and a Redis restart under load (processing resumes by itself and no
 * job enqueued through Kiq during the outage is lost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Kiq, defineWorker, type Job, type KiqOptions, type PushReceipt } from '../../src/index.js';
import { killChildren } from '../support/children.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { scanAll } from '../support/scan-all.js';
import { deferred, until } from '../support/wait.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/slow-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How often each value occurs. */
function counts(values: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const value of values) map.set(value, (map.get(value) ?? 0) + 1);
  return map;
}

describe('Resilience (real Redis, real processes)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const children: ChildProcess[] = [];
  const kiqs: Kiq[] = [];
  const servers: RedisServer[] = [];

  afterEach(async () => {
    await killChildren(children);
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
    for (const server of servers.splice(0)) await server.stop();
  });

  async function kiqOn(options: KiqOptions): Promise<Kiq> {
    const kiq = new Kiq({ fetchInterval: 50, pollInterval: 50, logger: silent(), ...options });
    kiqs.push(kiq);
    await kiq.start();
    return kiq;
  }

  /** Start the slow server fixture as a child process; resolves once it printed `ready`. */
  async function slowServer(identity: string, concurrency: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL: redis.url, KIQ_IDENTITY: identity, KIQ_CONCURRENCY: String(concurrency) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = deferred(15_000, 'the slow server child to start');
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(`ready ${identity}\n`)) ready.resolve();
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`slow server exited early (code ${code}, signal ${signal}): ${stderr.trim()}`))),
    );
    await Promise.race([ready.promise, exited]);
    return child;
  }

  it('kill -9 mid-job: another process recovers the orphaned jobs and every job runs to completion exactly once', async () => {
    const JOBS = 6;
    const CONCURRENCY = 3;
    const killed = `kill9:${process.pid}:${randomBytes(6).toString('hex')}`;
    const privateList = `queue:sq|${killed}|work`;

    // 1. The first server, in its own process, with slow jobs.
    const child = await slowServer(killed, CONCURRENCY);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    // 2. Enqueue through an enqueue-only Kiq, confirmed: all jobs are in Redis.
    const client = await kiqOn({ redisUrl: redis.url, server: false });
    const jobs: Job[] = [];
    for (let i = 0; i < JOBS; i++) jobs.push((await client.enqueue({ class: 'Resilient', queue: 'work', args: [i] }, { confirm: true })).job);
    const jids = jobs.map((job) => job.jid);

    // 3. Wait until the child runs as many jobs as it has slots.
    await until(async () => (await redis.client.llen('kill9:started')) === CONCURRENCY, 10_000, 'the child to start its jobs');
    const startedByChild = await redis.client.lrange('kill9:started', 0, -1);
    const inFlight = (await redis.client.lrange(privateList, 0, -1)).map((raw) => JSON.parse(raw).jid as string);
    expect(inFlight.sort(), 'the running jobs sit in the child private list').to.deep.equal([...startedByChild].sort());
    expect(await redis.client.llen('queue:work'), 'jobs the child never fetched').to.equal(JOBS - CONCURRENCY);
    expect(await redis.client.sismember('super_processes', killed)).to.equal(1);

    // 4. SIGKILL: no shutdown, no requeue, no unregistering.
    process.kill(child.pid!, 'SIGKILL');
    expect(await exit).to.deep.equal({ code: null, signal: 'SIGKILL' });

    // Proof the kill happened mid-job: jobs were started, none finished (no
    // `finished` record, still unacknowledged in the private list).
    expect(await redis.client.llen('kill9:finished'), 'no job finished in the killed process').to.equal(0);
    expect(await redis.client.llen(privateList), 'the killed process still holds its jobs').to.equal(CONCURRENCY);
    expect(await redis.client.sismember('super_processes', killed), 'the killed process is still registered').to.equal(1);

    // Its liveness lease (kiq:leases, 10 s by default) lapses by itself: no
    // key is deleted to simulate it. Its 60 s heartbeat hash outlives it, and
    // so does its dear-leader key (30 s); neither delays the recovery.
    expect(await redis.client.ttl(killed), 'heartbeat TTL').to.be.within(1, 60);
    expect(await redis.client.zscore('kiq:leases', killed), 'it had a liveness lease').to.not.equal(null);

    // 5. A second server (in this process) with a fast worker of the same
    // class. It takes the jobs once the killed server's lease has ended (at
    // most 10 s after the kill) and Redis has been up for 10 s.
    const performed: string[] = [];
    const allDone = deferred(30_000, `${JOBS} jobs performed by the second server`);
    const Fast = defineWorker({
      class: 'Resilient',
      queue: 'work',
      perform(_args: [number], ctx) {
        performed.push(ctx.jid);
        if (performed.length === JOBS) allDone.resolve();
      },
    });
    const logger = silent();
    const survivor = await kiqOn({ redisUrl: redis.url, queues: { work: CONCURRENCY }, workers: [Fast], logger });
    await allDone.promise;
    await until(async () => (await redis.client.llen(`queue:sq|${survivor.identity}|work`)) === 0, 5_000, 'acks');
    // stop() drains: nothing can run after it, so "exactly once" is final
    await survivor.stop({ timeout: 5_000 });

    expect([...counts(performed).entries()].sort(), 'every job exactly once').to.deep.equal(jids.map((jid) => [jid, 1]).sort());
    for (const jid of startedByChild) expect(performed, `interrupted job ${jid} ran again`).to.include(jid);
    for (const jid of jids.filter((j) => !startedByChild.includes(j))) expect(performed, `never-started job ${jid} ran`).to.include(jid);
    expect(await redis.client.llen('queue:work')).to.equal(0);
    expect(await scanAll(redis.client, 'queue:sq|*'), 'no private list left').to.deep.equal([]);
    expect(await redis.client.sismember('super_processes', killed), 'the killed identity is unregistered').to.equal(0);
    expect(await redis.client.exists(`${killed}:super_queues`)).to.equal(0);
    expect(await redis.client.zcard('retry')).to.equal(0);
    expect(await redis.client.zcard('dead')).to.equal(0);
    const recovered = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.event === 'orphans_recovered');
    expect(recovered, 'the resurrector logged the recovery').to.deep.include({ identities: [killed], requeued: CONCURRENCY, dead: 0 });
  });

  /** What one Redis restart scenario measured. */
  interface RestartOutcome {
    /** From the restarted server answering PING to the first job performed after it, ms. */
    readonly resumeMs: number;
    readonly performedBeforeStop: number;
  }

  /**
   * A Kiq server works through a steady stream of 200 jobs (5 at a time,
   * 20 ms each) on its own redis-server; the server is stopped mid-stream,
   * 50 jobs are enqueued while it is down (48 plain, 2 with `confirm`), it
   * stays down `outageMs` after Kiq noticed, then restarts empty on the same
   * port. Asserts that nothing enqueued during the outage is lost and nothing
   * runs twice (see the comment inside), and returns how long processing
   * took to resume.
   *
   * What "no job lost" covers: this redis-server has no persistence
   * (`--save '' --appendonly no`), so the restart empties it. Jobs that were
   * only in Redis when it died (waiting in `queue:work`, or fetched into the
   * private list and not yet started) are gone with it: that is Redis's
   * durability, not Kiq's. What Kiq owns, and what is asserted: every job
   * enqueued through Kiq while Redis was down waits in the reliable-push
   * buffer and is performed exactly once after the restart; jobs performed
   * before the stop count as done; no job is performed twice.
   */
  async function restartScenario(outageMs: number): Promise<RestartOutcome> {
    const BEFORE = 200;
    const DURING = 50;

    let server = await startRedisServer();
    servers.push(server);
    const port = server.port;
    const control = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => 50 });
    control.on('error', () => undefined);
    await control.connect();

    const performed: { jid: string; at: number }[] = [];
    const Steady = defineWorker({
      class: 'Steady',
      queue: 'work',
      async perform(_args: [string, number], ctx) {
        performed.push({ jid: ctx.jid, at: performance.now() });
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    const kiq = await kiqOn({ redisUrl: server.url, queues: { work: 5 }, workers: [Steady] });
    let outage: { waiting: number } | undefined;
    let restored = false;
    kiq.on('push.outage', ({ waiting }) => (outage = { waiting }));
    kiq.on('push.restored', () => (restored = true));

    try {
      // 1. A steady stream: 200 jobs, about 1 s of work.
      const before: Job[] = [];
      for (let i = 0; i < BEFORE; i++) before.push(await kiq.enqueue(Steady, ['before', i]));
      await until(() => performed.length >= 40, 10_000, 'processing under way');

      // 2. Redis dies while jobs are running and waiting.
      await server.stop();
      const performedBeforeStop = performed.length;
      expect(performedBeforeStop, 'Redis stopped mid-stream').to.be.below(BEFORE);

      // 3. Enqueue while Redis is down: the jobs wait in the reliable-push buffer.
      const during: Job[] = [];
      for (let i = 0; i < DURING - 2; i++) during.push(await kiq.enqueue(Steady, ['during', i]));
      const confirmations: Promise<PushReceipt>[] = [
        kiq.enqueue(Steady, ['during', DURING - 2], { confirm: true }),
        kiq.enqueue(Steady, ['during', DURING - 1], { confirm: true }),
      ];
      await until(() => outage, 10_000, 'push.outage');
      expect(outage!.waiting, 'jobs kept in the buffer').to.be.at.least(1);
      expect(kiq.buffered, 'every job enqueued during the outage is buffered').to.equal(DURING);
      // How long Redis stays down once Kiq noticed: the scenario parameter,
      // not a synchronisation (backoffs grow with it).
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      expect(kiq.buffered, 'still buffered while Redis is down').to.equal(DURING);

      // 4. Restart on the same port: an empty Redis.
      server = await startRedisServer(port);
      servers.push(server);
      const back = performance.now(); // it answers PING
      const after = () => performed.filter((p) => p.at >= back);
      await until(() => after().length > 0, 15_000, 'the first job performed after the restart');
      const resumeMs = after()[0]!.at - back;
      await until(() => after().length >= DURING, 15_000, `${DURING} jobs enqueued during the outage performed`);
      const receipts = await Promise.all(confirmations);
      for (const receipt of receipts) expect(receipt.status).to.equal('enqueued');
      await until(() => restored, 5_000, 'push.restored');

      // 5. No job enqueued during the outage lost; none performed twice.
      const duringJids = [...during.map((job) => job.jid), ...receipts.map((r) => r.job.jid)];
      expect([...counts(after().map((p) => p.jid)).entries()].sort(), 'every job enqueued during the outage performed exactly once after the restart').to.deep.equal(
        duringJids.map((jid) => [jid, 1]).sort(),
      );
      expect([...counts(performed.map((p) => p.jid)).values()].every((n) => n === 1), 'no job performed twice').to.equal(true);
      const beforeJids = new Set(before.map((job) => job.jid));
      expect(performed.filter((p) => beforeJids.has(p.jid)).length, 'jobs performed before the stop count').to.equal(performedBeforeStop);
      expect(kiq.buffered).to.equal(0);

      // The process put itself back together in the new Redis: heartbeat,
      // registration, empty queue and private list once the acks land.
      await until(async () => (await control.exists(kiq.identity)) === 1, 10_000, 'heartbeat rewritten');
      expect(await control.sismember('super_processes', kiq.identity)).to.equal(1);
      await until(async () => (await control.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5_000, 'acks after the restart');
      expect(await control.llen('queue:work')).to.equal(0);
      return { resumeMs, performedBeforeStop };
    } finally {
      await kiq.stop({ timeout: 2_000 }).catch(() => undefined);
      control.disconnect();
    }
  }

  it('Redis restart under load (1.5 s outage): processing resumes within 2 s and no job enqueued during the outage is lost', async () => {
    const { resumeMs } = await restartScenario(1_500);
    expect(resumeMs, 'processing resumed within 2 s of Redis being back').to.be.below(2_000);
  });

  // A restarted, non-persistent Redis has lost the heartbeat hash, and
  // fetch-jobs refuses to run without it: Kiq rewrites it as soon as a pooled
  // connection is back (src/server/process.ts `Launcher.redisBack`). Before that fix the first job
  // ran 4.8 s after a 300 ms outage (the next regular beat).
  it('Redis restart (short outage): processing resumes within 2 s of Redis being back', async () => {
    const { resumeMs } = await restartScenario(300);
    expect(resumeMs, 'processing resumed within 2 s of Redis being back').to.be.below(2_000);
  });

  // After a long outage the Flusher and the fetchers are deep in their
  // backoff (up to 5 s and 2 s); `redis.ready` ends that wait when a
  // connection comes back. Before that fix an 8 s outage resumed after 4.5 s.
  it('Redis restart (8 s outage): processing resumes within 2 s of Redis being back', async () => {
    const { resumeMs } = await restartScenario(8_000);
    expect(resumeMs, 'processing resumed within 2 s of Redis being back').to.be.below(2_000);
  });
});
