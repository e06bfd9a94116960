import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { openConnection } from '../../src/redis/connections.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';

describe('stall watch (src/redis/stall-watch.ts) on a real connection through a TCP proxy', () => {
  const redis = useRedis();
  const STALL_MS = 400;
  let proxy: TcpProxy;
  let conn: Redis;
  const logger = silent();

  beforeEach(async () => {
    logger.lines.length = 0;
    proxy = await TcpProxy.start(Number(new URL(redis.url).port));
    conn = openConnection({ url: `${proxy.url}${new URL(redis.url).pathname}`, options: {}, stallTimeoutMs: STALL_MS, logger }, 'stall-watch');
    await conn.connect();
  });
  afterEach(async () => {
    conn.disconnect();
    await proxy.close();
  });

  it('drops a connection whose command gets nothing back for the bound (not before it), logs redis_stalled, and reconnects', async () => {
    expect(await conn.ping()).to.equal('PONG');
    proxy.stall();
    const sent = performance.now();
    const error = await conn.get('k').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const waitedMs = performance.now() - sent;
    // the waiting command fails as on any dropped connection (Kiq's connections retry no request)
    expect(error?.message).to.match(/max retries per request|Socket timeout|Connection is closed/);
    expect(waitedMs, 'not before the bound').to.be.at.least(STALL_MS);
    expect(waitedMs, 'within the bound and two checks (+ a loaded machine)').to.be.below(STALL_MS + 1_000);
    const line = logger.lines.find((l) => l.includes('"redis_stalled"'));
    expect(line, 'redis_stalled logged').to.be.a('string');
    expect(JSON.parse(line!)).to.include({ connection: 'stall-watch' });
    proxy.heal();
    await until(() => conn.status === 'ready', 10_000, 'reconnected');
    expect(await conn.ping()).to.equal('PONG');
  });

  it('leaves alone a command that waits less than the bound, an idle connection, and a slow reply that keeps arriving', async () => {
    // a blocking call that Redis answers after 0.2 s (of a 0.4 s bound): no bytes until then
    expect(await conn.blpop('nothing-here', 0.2)).to.equal(null);
    // idle for several bounds: nothing waits, nothing is dropped
    const idleUntil = performance.now() + 3 * STALL_MS;
    await until(() => performance.now() > idleUntil, 5_000, 'idle time');
    expect(conn.status).to.equal('ready');
    // a command waiting on a blocked list for longer than the bound, while other bytes keep coming: a
    // second connection's pushes answer the first's BLPOPs one by one, each sooner than the bound
    for (let i = 0; i < 4; i++) {
      const popped = conn.blpop('slow', 1);
      await new Promise((resolve) => setTimeout(resolve, STALL_MS / 2));
      await redis.client.rpush('slow', String(i));
      expect(await popped).to.deep.equal(['slow', String(i)]);
    }
    expect(logger.lines.filter((l) => l.includes('"redis_stalled"'))).to.deep.equal([]);
    expect(conn.status).to.equal('ready');
  });
});
