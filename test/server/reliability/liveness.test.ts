/**
 * The liveness lease's guards against taking a live server's jobs after an
 * outage (src/server/liveness.ts, src/server/tickers.ts `resurrectTick`), on
 * a real Redis: a server recovers others only while its own renewals are
 * steady, and not while Redis has been up for less than a ttl (a restart
 * with AOF brings back leases that ended during the outage).
 */
import { expect } from 'chai';
import { createActor, toPromise } from 'xstate';
import { ManualClock, systemClock } from '../../../src/clock.js';
import { ConnectionPool } from '../../../src/redis/connections.js';
import { KIQ_LEASES } from '../../../src/redis/keys.js';
import { Liveness } from '../../../src/server/liveness.js';
import { writeBeat } from '../../support/write-beat.js';
import { fetchJobs } from '../../../src/server/ops/fetch.js';
import { resurrectTick } from '../../../src/server/tickers.js';
import { silent } from '../../support/logger.js';
import { useRedis } from '../../support/redis.js';
import { until } from '../../support/wait.js';

describe('Liveness lease guards (real Redis)', () => {
  const redis = useRedis();
  let pool: ConnectionPool;
  beforeEach(async () => {
    pool = new ConnectionPool({ url: redis.url, options: {} }, 1);
    await pool.connect();
  });
  afterEach(() => pool.close());

  it('is steady from the first renewal of a fresh server; after a reconnect, only after a ttl of renewals', async () => {
    const clock = new ManualClock();
    const liveness = new Liveness(pool, 'me:1:aaaaaaaaaaaa', 10_000, clock);
    expect(liveness.steady, 'never renewed').to.equal(false);
    await liveness.renew();
    expect(liveness.steady, 'fresh: nothing it could have missed').to.equal(true);
    expect(Number(await redis.client.zscore(KIQ_LEASES, 'me:1:aaaaaaaaaaaa'))).to.be.above(Date.now() + 9_000);
    liveness.reconnected();
    expect(liveness.steady).to.equal(false);
    await liveness.renew();
    clock.advance(9_999);
    expect(liveness.steady, 'others may not have renewed since the outage yet').to.equal(false);
    clock.advance(1);
    await liveness.renew();
    expect(liveness.steady).to.equal(true);
  });

  /** A Kiq server that died holding a job: its lease ended a second ago, its heartbeat hash is still there. */
  async function deadServer(identity: string): Promise<void> {
    await writeBeat(redis.client, identity, Date.now() / 1000);
    await redis.client.lpush('queue:work', JSON.stringify({ class: 'A', args: [], jid: 'j1' }));
    await fetchJobs(redis.client, identity, 'work', 1);
    await redis.client.zadd(KIQ_LEASES, Date.now() - 1_000, identity);
  }

  async function tick(liveness: Liveness): Promise<void> {
    const deps = { pool, clock: systemClock, identity: 'me:1:aaaaaaaaaaaa', logger: silent() };
    await toPromise(createActor(resurrectTick(liveness, deps)).start());
  }

  const uptimeMs = async () => Number(/uptime_in_seconds:(\d+)/.exec(await redis.client.info('server'))![1]) * 1000;

  it('recovers a dead server when steady and Redis has been up for a ttl', async () => {
    await until(async () => (await uptimeMs()) >= 1_000, 5_000, 'the run’s Redis to be up 1 s');
    await deadServer('dead:1:bbbbbbbbbbbb');
    const liveness = new Liveness(pool, 'me:1:aaaaaaaaaaaa', 1_000, systemClock);
    await liveness.renew();
    await tick(liveness);
    expect(await redis.client.llen('queue:work')).to.equal(1);
  });

  it('takes nobody’s jobs while Redis has been up for less than a ttl', async () => {
    await deadServer('dead:1:bbbbbbbbbbbb');
    const liveness = new Liveness(pool, 'me:1:aaaaaaaaaaaa', (await uptimeMs()) + 60_000, systemClock);
    await liveness.renew();
    await tick(liveness);
    expect(await redis.client.llen('queue:work')).to.equal(0);
    expect(await redis.client.llen('queue:sq|dead:1:bbbbbbbbbbbb|work')).to.equal(1);
  });

  it('takes nobody’s jobs while its own renewals are not steady', async () => {
    await until(async () => (await uptimeMs()) >= 1_000, 5_000, 'the run’s Redis to be up 1 s');
    await deadServer('dead:1:bbbbbbbbbbbb');
    const liveness = new Liveness(pool, 'me:1:aaaaaaaaaaaa', 1_000, new ManualClock());
    await liveness.renew();
    liveness.reconnected();
    await liveness.renew();
    await tick(liveness);
    expect(await redis.client.llen('queue:sq|dead:1:bbbbbbbbbbbb|work')).to.equal(1);
  });
});
