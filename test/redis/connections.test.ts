import { expect } from 'chai';
import { once } from 'node:events';
import { Kiq } from '../../src/index.js';
import { clientName, ConnectionPool, openConnection } from '../../src/redis/connections.js';
import { kiqVersion } from '../../src/server/heartbeat.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';

describe('ConnectionPool', () => {
  const redis = useRedis();

  it('opens poolSize connections and hands them out round-robin', async () => {
    const pool = new ConnectionPool({ url: redis.url, options: {} }, 3, 'rr');
    try {
      await pool.connect();
      const seen = [pool.next(), pool.next(), pool.next(), pool.next()];
      expect(new Set(seen).size).to.equal(3);
      expect(seen[3]).to.equal(seen[0]);
      const names = (await redis.client.client('LIST')) as string;
      expect(names.match(/name=rr:pool:\d/g)?.sort()).to.deep.equal(['name=rr:pool:0', 'name=rr:pool:1', 'name=rr:pool:2']);
    } finally {
      await pool.close();
    }
  });

  it('names every connection of a Kiq server in CLIENT LIST, also for an identity with a space, and tags its lib-name', async () => {
    expect(clientName('kiq:web 1:pool:0\n')).to.equal('kiq:web_1:pool:0_');
    const kiq = new Kiq({ redisUrl: redis.url, identity: 'web 1:42:0123456789ab', queues: { default: 1 }, fetchInterval: 50, pollInterval: 60_000, logger: silent() });
    await kiq.start();
    try {
      const list = (await redis.client.client('LIST')) as string;
      const names = [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1]!).filter((name) => name.startsWith('kiq:'));
      expect(names).to.include('kiq:web_1:42:0123456789ab:pool:0');
      expect(names.length).to.be.at.least(5);
      // Redis 7.2+ lists CLIENT SETINFO's lib-name; older ones refuse it, harmlessly (the connections work)
      const server = ((await redis.client.info('server')).match(/redis_version:(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
      const kiqLine = list.split('\n').find((line) => line.includes(' name=kiq:web_1:42:0123456789ab:pool:0 '))!;
      if (server[0]! > 7 || (server[0] === 7 && server[1]! >= 2)) expect(kiqLine).to.include(`lib-name=ioredis(kiq_v${kiqVersion()})`);
      else expect(kiqLine).not.to.include('lib-name=ioredis');
    } finally {
      await kiq.stop();
    }
  });

  it('keeps dedicated connections apart from the pool', async () => {
    const pool = new ConnectionPool({ url: redis.url, options: {} }, 1, 'ded');
    try {
      await pool.connect();
      const blocking = pool.dedicated('fetcher:default');
      expect(blocking).to.not.equal(pool.next());
      expect(pool.dedicated('fetcher:default')).to.equal(blocking);
      if (blocking.status !== 'ready') await once(blocking, 'ready');
      expect(await blocking.ping()).to.equal('PONG');
    } finally {
      await pool.close();
    }
  });

  it('uses the DB index from the URL', async () => {
    const pool = new ConnectionPool({ url: redis.url, options: {} }, 1, 'db');
    try {
      await pool.connect();
      await pool.next().set('marker', 'here');
      expect(await redis.client.get('marker')).to.equal('here');
    } finally {
      await pool.close();
    }
  });

  it('fails fast instead of queueing commands while Redis is unreachable', async () => {
    const pool = new ConnectionPool({ url: 'redis://127.0.0.1:1', options: {} }, 1, 'down');
    try {
      let error: unknown;
      await pool.connect().catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(Error);
      let commandError: unknown;
      await pool.next().ping().catch((e: unknown) => (commandError = e));
      expect(commandError).to.be.instanceOf(Error);
    } finally {
      await pool.close();
    }
  });

  it("bounds a stall with Kiq's own watch, not a timer per command (an ioredis socketTimeout in the options wins and is used instead)", () => {
    const plain = openConnection({ url: redis.url, options: {} }, 'stall-default');
    const overridden = openConnection({ url: redis.url, options: { socketTimeout: 777 }, stallTimeoutMs: 12_345 }, 'stall-user');
    try {
      expect([plain, overridden].map((r) => r.options.socketTimeout)).to.deep.equal([undefined, 777]);
    } finally {
      for (const r of [plain, overridden]) r.disconnect();
    }
  });
});
