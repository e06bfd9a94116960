/**
 * What Kiq says when Redis refuses or goes silent (issue 9, defect 8), on
 * real redis-server processes: a wrong password or a missing one is
 * "authentication failed" with Redis's reply as the cause (not "Connection
 * is closed"); an ACL without MULTI names MULTI (not "ERR EXEC without
 * MULTI"); a blackholed connection (a TCP proxy that stops forwarding
 * without closing) is detected, logged as `redis_stalled` and reconnected,
 * and work resumes.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { KiqNotRunningError } from '../../src/errors.js';
import { Kiq, defineWorker } from '../../src/index.js';
import { ManualClock } from '../../src/clock.js';
import { STALL_TIMEOUT_MS } from '../../src/redis/connections.js';
import { Heartbeat } from '../../src/server/heartbeat.js';
import { ProcessState } from '../../src/server/process-state.js';
import { useAclUsers } from '../support/acl-user.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { deferred, until } from '../support/wait.js';

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('Redis refusals and stalls, in plain words (real redis-server)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  // after the hook above: the users outlive the Kiqs connected as them
  const users = useAclUsers(redis);

  const aclUser = (rules: readonly string[], password?: string) => users.create(rules, password);

  it('start() with a wrong password says authentication failed, with WRONGPASS as the cause', async () => {
    const kiq = new Kiq({ redisUrl: await aclUser([], 'wrong-password'), logger: silent() });
    const error = await rejection(kiq.start());
    expect(error).to.be.instanceOf(KiqNotRunningError);
    expect(error.message).to.match(/authentication failed: wrong user name or password \(WRONGPASS/);
    expect(error.message).to.not.match(/Connection is closed/);
    expect(error.message).to.include('***').and.not.include('wrong-password');
    expect(String((error.cause as Error).message)).to.match(/WRONGPASS/);
  });

  it('start() without the password a server requires says so (NOAUTH)', async () => {
    const server: RedisServer = await startRedisServer();
    cleanups.push(() => server.stop());
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', 'secret');
    admin.disconnect();
    const kiq = new Kiq({ redisUrl: server.url, logger: silent() });
    const error = await rejection(kiq.start());
    expect(error.message).to.match(/authentication failed: Redis requires a password/);
    expect(error.message).to.match(/NOAUTH/);
  });

  it('start() with an ACL that denies MULTI names MULTI, not "EXEC without MULTI"', async () => {
    const kiq = new Kiq({ redisUrl: await aclUser(['-multi']), logger: silent() });
    const error = await rejection(kiq.start());
    expect(error.message).to.match(/the Redis user may not run MULTI/);
  });

  it('a heartbeat whose MULTI is denied does not count its counters twice (they ran outside the transaction)', async () => {
    const url = await aclUser(['-multi']);
    const client = new Redis(url);
    cleanups.push(async () => client.disconnect());
    const clock = new ManualClock(Date.now());
    const state = new ProcessState(clock);
    state.restoreCounts({ processed: 3, failed: 1 });
    const heartbeat = new Heartbeat({ redis: () => client, identity: 'vm:1:0123456789ab', queues: { default: 1 }, clock, logger: silent(), state });
    for (let i = 0; i < 3; i++) expect((await rejection(heartbeat.beat())).message).to.match(/EXEC without MULTI/);
    expect(await redis.client.mget('stat:processed', 'stat:failed')).to.deep.equal(['3', '1']);
  });

  it('detects a blackholed connection, logs redis_stalled, reconnects and runs jobs again', async () => {
    const proxy: TcpProxy = await TcpProxy.start(Number(new URL(redis.url).port));
    cleanups.push(() => proxy.close());
    const ran: string[] = [];
    let onRun: (id: string) => void = () => undefined;
    const Echo = defineWorker({
      class: 'StallEcho',
      queue: 'default',
      async perform([id]: [string]) {
        ran.push(id);
        onRun(id);
      },
    });
    const logger = silent();
    const db = new URL(redis.url).pathname;
    const kiq = new Kiq({ redisUrl: `${proxy.url}${db}`, queues: { default: 2 }, workers: [Echo], fetchInterval: 50, logger });
    cleanups.push(() => kiq.stop({ timeout: 1_000 }));
    await kiq.start();
    const before = deferred(10_000, 'a job before the stall');
    onRun = (id) => id === 'before' && before.resolve();
    await kiq.enqueue(Echo, ['before']);
    await before.promise;

    proxy.stall();
    const stalledAt = Date.now();
    // pushed straight into Redis, not through the stalled proxy
    await redis.client.lpush('queue:default', JSON.stringify({ class: 'StallEcho', args: ['during'], jid: 'b1a2c3d4e5f6a7b8c9d0e1f2', queue: 'default' }));
    await until(() => logger.lines.some((line) => line.includes('"redis_stalled"')), STALL_TIMEOUT_MS + 15_000, 'redis_stalled');
    const detectedMs = Date.now() - stalledAt;
    const line = JSON.parse(logger.lines.find((l) => l.includes('"redis_stalled"'))!) as Record<string, unknown>;
    expect(line.error).to.match(/stalled or blackholed/);
    expect(line.cause).to.match(/Socket timeout/);
    expect(ran).to.not.include('during');

    proxy.heal();
    const after = deferred(30_000, 'the job pushed during the stall');
    onRun = (id) => id === 'during' && after.resolve();
    if (!ran.includes('during')) await after.promise;
    const resumedMs = Date.now() - stalledAt;
    expect(detectedMs, 'detected within the stall bound (+ fetchInterval, + a loaded machine)').to.be.below(STALL_TIMEOUT_MS + 5_000);
    console.log(`      blackhole: redis_stalled ${detectedMs} ms after the stall; proxy healed then; the job pushed during the stall ran at ${resumedMs} ms`);
  });
});
