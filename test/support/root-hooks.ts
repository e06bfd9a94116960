/**
 * Mocha global fixtures: one throwaway redis-server for the whole run (unless
 * REDIS_URL is set), stopped by pid at the end. Tests reach it through
 * `test/support/redis.ts`.
 */
import { hasRedisServer, startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.KIQ_TEST_REDIS_URL = process.env.REDIS_URL;
    return;
  }
  if (!hasRedisServer()) {
    throw new Error(
      'The tests need Redis: set REDIS_URL to a Redis >= 6.2 they may flush, ' +
        'or install redis-server (apt-get install redis-server / brew install redis) so they start their own.',
    );
  }
  server = await startRedisServer();
  process.env.KIQ_TEST_REDIS_URL = server.url;
  process.env.KIQ_TEST_REDIS_OWNED = '1';
}

export async function mochaGlobalTeardown(): Promise<void> {
  await server?.stop();
}
