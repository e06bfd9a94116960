/** A Kiq connection pool on the test database, for tests of the code that takes one (admin, scripts). */
import type { Redis } from 'ioredis';
import { ConnectionPool } from '../../src/redis/connections.js';
import type { TestRedis } from './redis.js';

/** The current test's pool, as {@link usePool} gives it. */
export interface TestPool {
  /** The pool's next connection ({@link ConnectionPool.next}). */
  next(): Redis;
}

/** A one-connection {@link ConnectionPool} on `redis`'s database, connected before each test and closed after it. */
export function usePool(redis: TestRedis): TestPool {
  let pool: ConnectionPool | undefined;
  beforeEach(async () => {
    pool = new ConnectionPool({ url: redis.url, options: {} }, 1, 'test');
    await pool.connect();
  });
  afterEach(() => pool?.close());
  return {
    next() {
      if (!pool) throw new Error('usePool: no pool outside a test');
      return pool.next();
    },
  };
}
