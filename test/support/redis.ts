/**
 * Per-file Redis access for tests: each `useRedis()` call takes its own
 * database index on the run's server and flushes it before every test, so
 * files never see each other's keys.
 */
import { Redis } from 'ioredis';

let nextDb = 1;

/** Our own server has 64 databases; a Redis given through REDIS_URL is assumed to have the default 16. */
function maxDb(): number {
  return process.env.KIQ_TEST_REDIS_OWNED ? 63 : 15;
}

/** A test's view of Redis: a URL with its own DB and a client on it. */
export interface TestRedis {
  /** URL including the database index, e.g. `redis://127.0.0.1:6390/3`. */
  readonly url: string;
  readonly db: number;
  /** A plain client on the same DB, for assertions. */
  readonly client: Redis;
}

/** The run's Redis base URL (set by the root hooks). */
export function baseRedisUrl(): string {
  const url = process.env.KIQ_TEST_REDIS_URL;
  if (!url) throw new Error('KIQ_TEST_REDIS_URL is not set: run the tests through mocha (npm test)');
  return url.replace(/\/\d*$/, '');
}

/** Allocate a database for this describe block; FLUSHDB before each test, disconnect after all. */
export function useRedis(): TestRedis {
  const db = nextDb;
  nextDb = nextDb >= maxDb() ? 1 : nextDb + 1;
  const state = { client: undefined as Redis | undefined };
  // Files load before the root hook starts Redis: resolve the URL on first use.
  const view: TestRedis = {
    get url(): string {
      return `${baseRedisUrl()}/${db}`;
    },
    db,
    get client(): Redis {
      state.client ??= new Redis(view.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
      return state.client;
    },
  };
  beforeEach(async () => {
    await view.client.flushdb();
  });
  after(async () => {
    await state.client?.quit().catch(() => undefined);
  });
  return view;
}
