/**
 * A redis-server of a test's own, per test, that the test may stop and
 * restart on the same port (an outage), with a client that rides it out.
 * Register it after the hooks that still need Redis to shut down (a Kiq's
 * stop, children to kill): mocha runs `afterEach` hooks in the order they
 * were registered.
 */
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** The current server and a client on it. */
export interface StoppableRedis {
  readonly server: RedisServer;
  /** Retries while the server is down; commands fail fast meanwhile. */
  readonly client: Redis;
  /** Stop the server (the outage begins). */
  stop(): Promise<void>;
  /** Start it again on the same port (the outage ends). */
  restart(): Promise<void>;
}

/** A fresh server and client before each test, both gone after it. */
export function useStoppableRedis(): StoppableRedis {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  const view: StoppableRedis = {
    get server() {
      if (!server) throw new Error('useStoppableRedis: no server outside a test');
      return server;
    },
    get client() {
      if (!client) throw new Error('useStoppableRedis: no client outside a test');
      return client;
    },
    stop: () => view.server.stop(),
    async restart() {
      server = await startRedisServer(view.server.port);
    },
  };
  beforeEach(async () => {
    server = await startRedisServer();
    client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterEach(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return view;
}
