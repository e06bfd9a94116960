import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Kiq } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { useTempDir } from '../support/temp-dir.js';

/** Enqueue one job through `kiq` and read it back with `reader`. */
async function roundTrip(kiq: Kiq, reader: Redis): Promise<string | undefined> {
  await kiq.start();
  try {
    const job = await kiq.enqueue({ class: 'Through', args: [1] });
    await kiq.flush();
    const [raw] = await reader.lrange('queue:default', 0, -1);
    return raw === undefined ? undefined : (JSON.parse(raw).jid as string) === job.jid ? job.jid : 'wrong job';
  } finally {
    await kiq.stop();
  }
}

describe('Redis connection options pass through to ioredis', function () {
  this.timeout(30_000);
  const dir = useTempDir('kiq-conn-', 'all');
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const server of servers.splice(0).reverse()) await server.stop();
  });

  it('connects over TLS with a rediss:// URL and TLS options', async () => {
    // a committed self-signed pair (CN and SAN 127.0.0.1, valid until 2126): a
    // fresh machine need not have the openssl command to make one
    const cert = fileURLToPath(new URL('fixtures/tls-cert.pem', import.meta.url));
    const key = fileURLToPath(new URL('fixtures/tls-key.pem', import.meta.url));
    const server = await startRedisServer({ tls: { cert, key } });
    servers.push(server);
    expect(server.url).to.match(/^rediss:\/\//);
    const ca = await readFile(cert);
    const reader = new Redis(`${server.url}/2`, { tls: { ca } });
    clients.push(reader);
    const kiq = new Kiq({ redisUrl: `${server.url}/2`, redis: { tls: { ca } }, server: false, logger: silent() });
    expect(await roundTrip(kiq, reader)).to.match(/^[0-9a-f]{24}$/);
  });

  it('finds the master through Redis Sentinel with the sentinels and name options', async () => {
    const master = await startRedisServer();
    servers.push(master);
    const config = join(dir(), 'sentinel.conf');
    await writeFile(config, `sentinel monitor kiqmaster 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds kiqmaster 5000\n`);
    const sentinel = await startRedisServer({ sentinelConfig: config });
    servers.push(sentinel);
    const reader = new Redis(`${master.url}/3`);
    clients.push(reader);
    const kiq = new Kiq({
      redisUrl: 'redis://ignored-by-sentinel:1/3',
      redis: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'kiqmaster' },
      server: false,
      logger: silent(),
    });
    expect(await roundTrip(kiq, reader)).to.match(/^[0-9a-f]{24}$/);
  });
});
