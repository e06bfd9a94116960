/**
 * kiq.health() and GET /healthz, /readyz on a real Redis (issue 15): a
 * process tells an orchestrator it is not doing its job — a queue whose
 * fetch fails for good (WRONGTYPE, an ACL denial), Redis stopped, the tree
 * escalated — and says so again once it is fixed.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { Kiq, KiqConfigError, type HealthReport, type KiqOptions } from '../../src/index.js';
import { useAclUsers } from '../support/acl-user.js';
import { useEchoWorker } from '../support/echo-worker.js';
import { gatedWorker } from '../support/gated-worker.js';
import { useKiqs } from '../support/kiqs.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { until } from '../support/wait.js';

/** GET `path` on the health port: status and parsed JSON (or text). */
async function get(kiq: Kiq, path: string): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${kiq.healthPort}${path}`);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, text, type: response.headers.get('content-type') ?? '' };
}

/** Poll /healthz until it answers `status`; resolves with the time it took and the last report. */
async function healthzBecomes(kiq: Kiq, status: number, timeoutMs: number): Promise<{ ms: number; report: HealthReport }> {
  const start = Date.now();
  let last: { status: number; body: unknown } | undefined;
  await until(async () => {
    last = await get(kiq, '/healthz');
    return last.status === status;
  }, timeoutMs, `/healthz ${status}`, 50).catch((error: unknown) => {
    throw new Error(`${String(error)}; last: ${JSON.stringify(last)}`);
  });
  return { ms: Date.now() - start, report: last!.body as HealthReport };
}

describe('Health (real Redis)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { default: 2 }, workers: [Echo], fetchInterval: 50 }), 1_000);
  const users = useAclUsers(redis);
  const { Echo, ran } = useEchoWorker('HealthEcho');

  /** A started server whose health options are quick ones, overridden by `options.health`. */
  const start = (options: KiqOptions = {}): Promise<Kiq> =>
    kiqs.start({ ...options, health: { port: 0, fetchStaleMs: 2_000, redisDownMs: 1_000, pingTimeoutMs: 300, ...options.health } });

  it('reports ok with every part, and serves it on /healthz and /readyz (127.0.0.1 by default)', async () => {
    const kiq = await start();
    await kiq.enqueue(Echo, ['one']);
    await until(() => ran.includes('one'), 10_000, 'the job to run');
    const report = await kiq.health();
    expect(report.status, JSON.stringify(report.reasons)).to.equal('ok');
    expect(report.reasons).to.deep.equal([]);
    expect(report.identity).to.equal(kiq.identity);
    expect(report.redis.reachable).to.equal(true);
    expect(report.redis.roundTripMs).to.be.a('number').and.to.be.at.least(0);
    expect(report.tree).to.deep.equal({ state: 'running', recentRestarts: 0, restarts: {} });
    const queue = report.queues.default!;
    expect(queue).to.include({ status: 'ok', busy: 0, limit: 2, quiet: false, lastError: null, fetchErrors: 0 });
    expect(queue.sinceFetchMs).to.be.a('number').and.to.be.below(2_000);
    expect(report.buffer).to.deep.equal({ depth: 0, oldestAgeMs: 0 });
    expect(report.leader).to.be.a('boolean');

    const healthz = await get(kiq, '/healthz');
    expect(healthz.status).to.equal(200);
    expect(healthz.type).to.match(/^application\/json/);
    expect((healthz.body as HealthReport).status).to.equal('ok');
    expect((await get(kiq, '/readyz')).status).to.equal(200);
    expect((await get(kiq, '/nope')).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${kiq.healthPort}/healthz`, { method: 'POST' })).status).to.equal(405);
  });

  it('an idle queue that polls fine stays ok past fetchStaleMs', async () => {
    const kiq = await start({ health: { fetchStaleMs: 300 } });
    await new Promise((resolve) => setTimeout(resolve, 600)); // longer than the threshold, on purpose
    const report = await kiq.health();
    expect(report.status, JSON.stringify(report.reasons)).to.equal('ok');
    expect(report.queues.default!.sinceFetchMs).to.be.below(300);
  });

  it('a full queue (busy = limit) that fetches nothing on purpose stays ok past fetchStaleMs', async () => {
    const long = gatedWorker('HealthLong', 'default', { startMs: 10_000, releaseMs: 20_000 });
    const kiq = await start({ queues: { default: 1 }, workers: [long.worker], health: { fetchStaleMs: 300 } });
    await kiq.enqueue(long.worker, []);
    await long.started;
    await new Promise((resolve) => setTimeout(resolve, 700)); // longer than the threshold, on purpose
    const report = await kiq.health();
    long.release();
    expect(report.queues.default).to.include({ status: 'ok', busy: 1, limit: 1 });
    expect(report.status, JSON.stringify(report.reasons)).to.equal('ok');
  });

  it('flips to 503 when the queue key has the wrong type, within fetchStaleMs, and back to 200 when fixed', async () => {
    const kiq = await start();
    await redis.client.set('queue:default', 'not a list');
    const failing = await healthzBecomes(kiq, 503, 2_000 + 3_000);
    expect(failing.report.status).to.equal('failing');
    expect(failing.report.queues.default!.status).to.equal('failing');
    expect(failing.report.queues.default!.lastError).to.match(/WRONGTYPE/);
    expect(failing.report.queues.default!.fetchErrors).to.be.above(0);
    expect(failing.report.reasons.join(' ')).to.match(/queue default: .*WRONGTYPE/);

    await redis.client.del('queue:default');
    const back = await healthzBecomes(kiq, 200, 10_000);
    expect(back.report.queues.default!.status).to.equal('ok');
    await kiq.enqueue(Echo, ['after']);
    await until(() => ran.includes('after'), 10_000, 'the job to run once fixed');
  });

  it('flips to 503 when an ACL denies the fetch commands (alive, beating, fetching nothing), and back to 200 once allowed', async () => {
    const url = await users.create(['-lmove', '-blmove']);
    const kiq = await start({ redisUrl: url });
    const failing = await healthzBecomes(kiq, 503, 2_000 + 3_000);
    expect(failing.report.queues.default!.lastError).to.match(/may not run LMOVE|NOPERM/);
    expect(failing.report.redis.reachable).to.equal(true);

    await redis.client.acl('SETUSER', decodeURIComponent(new URL(url).username), '+lmove', '+blmove');
    const back = await healthzBecomes(kiq, 200, 10_000);
    expect(back.report.queues.default!.status).to.equal('ok');
    await kiq.enqueue(Echo, ['allowed']);
    await until(() => ran.includes('allowed'), 10_000, 'the job to run once allowed');
  });

  it('flips to 503 within redisDownMs when Redis is stopped, and back to 200 when it is back', async () => {
    const server = await startRedisServer();
    try {
      const kiq = await start({ redisUrl: `${server.url}/0` });
      expect((await get(kiq, '/healthz')).status).to.equal(200);
      const stoppedAt = Date.now();
      await server.stop();
      const failing = await healthzBecomes(kiq, 503, 1_000 + 5_000);
      expect(Date.now() - stoppedAt, 'within redisDownMs + a ping timeout + slack').to.be.below(1_000 + 300 + 4_000);
      expect(failing.report.redis.reachable).to.equal(false);
      expect(failing.report.reasons.join(' ')).to.match(/Redis unreachable/);
      expect((await get(kiq, '/readyz')).status).to.equal(503);

      const again = await startRedisServer(server.port);
      try {
        const back = await healthzBecomes(kiq, 200, 20_000);
        expect(back.report.redis.reachable).to.equal(true);
        expect((await get(kiq, '/readyz')).status).to.equal(200);
      } finally {
        await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it('flips to 503 when the tree escalates (a queue actor crashes with maxRestarts 0), in a process of its own', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/health/fixtures/escalate.ts'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, REDIS_URL: redis.url } });
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, { status: number; report: HealthReport }>);
    expect(lines[0]!.before!.status).to.equal(200);
    const after = lines[1]!.after!;
    expect(after.status, JSON.stringify(after.report)).to.equal(503);
    expect(after.report.tree.state).to.equal('escalated');
    expect(after.report.reasons.join(' ')).to.match(/escalated/);
  });

  it('a client whose Redis is gone reports its buffered jobs as degraded past bufferAgeMs (200, not 503)', async () => {
    const server = await startRedisServer();
    try {
      const kiq = kiqs.track(new Kiq({ redisUrl: `${server.url}/0`, server: false, logger: silent(), health: { port: 0, bufferAgeMs: 200, redisDownMs: 60_000, pingTimeoutMs: 200 } }));
      await kiq.start();
      await server.stop();
      await kiq.enqueue({ class: 'Later', args: [] });
      let report: HealthReport | undefined;
      await until(async () => {
        report = await kiq.health();
        return report.buffer.oldestAgeMs > 200;
      }, 5_000, 'the buffered job to age', 50);
      expect(report!.status).to.equal('degraded');
      expect(report!.buffer.depth).to.equal(1);
      expect(report!.reasons.join(' ')).to.match(/1 enqueued job\(s\) not in Redis yet/);
      expect(report!.queues).to.deep.equal({});
      expect((await get(kiq, '/healthz')).status).to.equal(200);
      await kiq.stop({ timeout: 200 }).catch(() => undefined);
    } finally {
      await server.stop();
    }
  });

  it('in sandbox mode reports ok without Redis', async () => {
    const kiq = kiqs.track(new Kiq({ testMode: 'sandbox', workers: [Echo], logger: silent() }));
    await kiq.start();
    const report = await kiq.health();
    expect(report.status, JSON.stringify(report.reasons)).to.equal('ok');
  });

  it('rejects a bad health option with a KiqConfigError naming it', () => {
    expect(() => new Kiq({ health: { port: 70_000 } })).to.throw(KiqConfigError, /health\.port/);
    expect(() => new Kiq({ health: { fetchStaleMs: 0 } })).to.throw(KiqConfigError, /health\.fetchStaleMs/);
    expect(() => new Kiq({ health: { prot: 1 } as never })).to.throw(KiqConfigError, /health\.prot/);
  });

  it('start() rejects when the health port is taken, leaving nothing running', async () => {
    const first = await start();
    const second = new Kiq({ redisUrl: redis.url, queues: { default: 1 }, workers: [Echo], logger: silent(), health: { port: first.healthPort! } });
    const error = await second.start().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/health server: unable to listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    expect(second.state).to.equal('failed');
  });
});
