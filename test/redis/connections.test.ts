import { expect } from 'chai';
import { once } from 'node:events';
import { ConnectionPool, STALL_TIMEOUT_MS, openConnection } from '../../src/redis/connections.js';
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

  it("bounds a stall with socketTimeout (STALL_TIMEOUT_MS by default; the caller's bound or ioredis option wins)", () => {
    const plain = openConnection({ url: redis.url, options: {} }, 'stall-default');
    const bounded = openConnection({ url: redis.url, options: {}, stallTimeoutMs: 12_345 }, 'stall-bounded');
    const overridden = openConnection({ url: redis.url, options: { socketTimeout: 777 }, stallTimeoutMs: 12_345 }, 'stall-user');
    try {
      expect([plain, bounded, overridden].map((r) => r.options.socketTimeout)).to.deep.equal([STALL_TIMEOUT_MS, 12_345, 777]);
    } finally {
      for (const r of [plain, bounded, overridden]) r.disconnect();
    }
  });
});
